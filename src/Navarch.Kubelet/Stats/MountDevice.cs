namespace Navarch.Kubelet.Stats;

/// <summary>
/// The device a path's filesystem is mounted from (the mount source in <c>/proc/self/mountinfo</c> of the deepest mount
/// point above it), which cAdvisor puts in the <c>device</c> label of <c>container_fs_*</c>.
/// </summary>
internal static class MountDevice
{
    public static string Of(string path, string? mountinfo)
    {
        string best = "";
        int bestLength = -1;
        foreach (string line in (mountinfo ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 2 >= fields.Length)
            {
                continue;
            }

            string mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            bool contains = mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
            if (contains && mountPoint.Length >= bestLength)
            {
                best = fields[separator + 2];
                bestLength = mountPoint.Length;
            }
        }

        return best;
    }
}
