using System.Diagnostics;
using System.Globalization;

namespace Navarch.Storage.Etcd;

/// <summary>
/// Restores an etcd snapshot into the data dir of a single-member cluster, as k3s's <c>--cluster-reset
/// --cluster-reset-restore-path</c> does for its embedded etcd. etcd 3.4 has no restore API; <c>etcdctl snapshot
/// restore</c> (Debian's etcd-client) rebuilds the data dir: every key at its revision, a new cluster ID with this
/// member alone. The restore is made in a new directory beside the data dir, which is swapped in only when it is
/// complete; the old one is kept aside as <c>&lt;dir&gt;.bak-&lt;unix time&gt;</c>.
/// </summary>
public static class EtcdSnapshotRestore
{
    /// <summary>Where Debian's etcd-client installs etcdctl.</summary>
    public const string DefaultEtcdctl = "/usr/bin/etcdctl";

    /// <summary>
    /// Restores <paramref name="snapshotPath"/> into <paramref name="etcdDataDir"/> for the member
    /// <paramref name="memberName"/> at <paramref name="peerUrl"/>; etcd must not be running on that dir. The files at
    /// the top of the old dir (e.g. the embedded etcd's config.json) are carried over. Returns the path the old dir was
    /// kept under, or null when there was none. Throws <see cref="InvalidOperationException"/> with one line saying why.
    /// </summary>
    public static async Task<string?> RestoreAsync(string snapshotPath, string etcdDataDir, string memberName, string peerUrl, TimeProvider time, string etcdctl = DefaultEtcdctl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!File.Exists(etcdctl))
        {
            throw new InvalidOperationException($"etcdctl is not installed at {etcdctl}: restoring an etcd snapshot needs the etcd-client package (apt-get install etcd-client)");
        }

        if (!File.Exists(snapshotPath))
        {
            throw new InvalidOperationException($"snapshot {snapshotPath} does not exist");
        }

        string dir = Path.GetFullPath(etcdDataDir).TrimEnd('/');
        string unix = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string restored = $"{dir}.restore-{unix}";
        if (Directory.Exists(restored))
        {
            Directory.Delete(restored, recursive: true);
        }

        var start = new ProcessStartInfo(etcdctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ETCDCTL_API"] = "3";
        foreach (string arg in new[]
        {
            "snapshot", "restore", snapshotPath,
            "--data-dir", restored,
            "--name", memberName,
            "--initial-cluster", $"{memberName}={peerUrl}",
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster-token", $"navarch-restore-{unix}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        using (Process process = Process.Start(start) ?? throw new InvalidOperationException($"{etcdctl} did not start"))
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                string why = (await errors.ConfigureAwait(false) + await output.ConfigureAwait(false)).Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
                if (Directory.Exists(restored))
                {
                    Directory.Delete(restored, recursive: true);
                }

                throw new InvalidOperationException($"etcdctl snapshot restore of {snapshotPath} failed (exit code {process.ExitCode}): {why}");
            }
        }

        // etcd refuses a data dir others can read.
        File.SetUnixFileMode(restored, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? kept = null;
        if (Directory.Exists(dir))
        {
            foreach (string file in Directory.EnumerateFiles(dir))
            {
                File.Copy(file, Path.Combine(restored, Path.GetFileName(file)));
            }

            kept = $"{dir}.bak-{unix}";
            Directory.Move(dir, kept);
        }

        Directory.Move(restored, dir);
        return kept;
    }
}
