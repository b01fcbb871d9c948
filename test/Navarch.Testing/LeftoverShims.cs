namespace Navarch.Testing;

/// <summary>
/// The last line of a node fixture's clean-up: containerd shims still serving a socket under the fixture's data dir
/// (a sandbox the kubelet had no chance to remove) are ended by PID, so no test leaves processes behind.
/// </summary>
public static class LeftoverShims
{
    /// <summary>Kills the shims whose <c>-address</c> is under <paramref name="dataDir"/>; returns their PIDs.</summary>
    public static IReadOnlyList<int> Kill(string dataDir)
    {
        string root = Path.GetFullPath(dataDir) + "/";
        var killed = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            string[] args;
            try
            {
                args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            int address = Array.IndexOf(args, "-address");
            if (args.Length > 0 && args[0].EndsWith("containerd-shim-runc-v2", StringComparison.Ordinal)
                && address >= 0 && address + 1 < args.Length && args[address + 1].StartsWith(root, StringComparison.Ordinal))
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                    killed.Add(pid);
                }
                catch (ArgumentException)
                {
                    // Gone meanwhile.
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        return killed;
    }
}
