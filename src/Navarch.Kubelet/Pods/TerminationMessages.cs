using System.Text;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// Container termination messages the kubelet's way: every container gets a fresh host file bind-mounted at its
/// terminationMessagePath (default /dev/termination-log); when it exits, the file's first 4 KiB become
/// state.terminated.message, or — with FallbackToLogsOnError, a failed container and an empty file — the last 80
/// lines (at most 2 KiB) of its log.
/// </summary>
internal static class TerminationMessages
{
    public const string DefaultPath = "/dev/termination-log";
    public const string PolicyAnnotation = "io.kubernetes.container.terminationMessagePolicy";
    private const int MaxMessage = 4 * 1024;
    private const int MaxLogLines = 80;
    private const int MaxLogBytes = 2 * 1024;

    /// <summary>The folder of a pod's per-container files on the host.</summary>
    public static string PodDirectory(KubeletOptions options, string podUid) => Path.Combine(options.AgentDir, "pod-state", podUid);

    /// <summary>Creates an empty, world-writable host file for one container instance and returns its path.</summary>
    public static string CreateHostFile(KubeletOptions options, string podUid, string container)
    {
        string folder = Path.Combine(PodDirectory(options, podUid), "containers", container);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)));
        File.WriteAllBytes(path, []);

        // Any user the container runs as may write its message.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        return path;
    }

    /// <summary>The message of an exited container (empty when there is none).</summary>
    public static string Read(ContainerStatus status)
    {
        string path = status.Annotations.TryGetValue("io.kubernetes.container.terminationMessagePath", out string? p) && p.Length > 0 ? p : DefaultPath;
        bool fallback = status.Annotations.TryGetValue(PolicyAnnotation, out string? policy) && policy == "FallbackToLogsOnError"
            && status.ExitCode != 0 && status.Reason != "ContainerCannotRun";
        Mount? mount = status.Mounts.FirstOrDefault(m => m.ContainerPath == path);
        if (mount is not null && File.Exists(mount.HostPath))
        {
            string message = ReadHead(mount.HostPath);
            if (message.Length > 0)
            {
                return message;
            }
        }

        return fallback && File.Exists(status.LogPath) ? LogTail(status.LogPath) : "";
    }

    private static string ReadHead(string path)
    {
        using FileStream f = File.OpenRead(path);
        byte[] buffer = new byte[MaxMessage];
        int total = 0;
        int read;
        while (total < buffer.Length && (read = f.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>The last 80 lines of a CRI log file ("TIME STREAM P|F TEXT" lines), cut to its last 2 KiB.</summary>
    internal static string LogTail(string logPath)
    {
        var lines = new Queue<string>();
        var partial = new StringBuilder();
        foreach (string line in File.ReadLines(logPath))
        {
            string[] parts = line.Split(' ', 4);
            if (parts.Length < 3)
            {
                continue;
            }

            partial.Append(parts.Length == 4 ? parts[3] : "");
            if (parts[2] == "P")
            {
                continue;
            }

            partial.Append('\n');
            lines.Enqueue(partial.ToString());
            partial.Clear();
            if (lines.Count > MaxLogLines)
            {
                lines.Dequeue();
            }
        }

        if (partial.Length > 0)
        {
            lines.Enqueue(partial.ToString());
            if (lines.Count > MaxLogLines)
            {
                lines.Dequeue();
            }
        }

        byte[] all = Encoding.UTF8.GetBytes(string.Concat(lines));
        return Encoding.UTF8.GetString(all.AsSpan(Math.Max(0, all.Length - MaxLogBytes)));
    }
}
