using System.Runtime.InteropServices;

namespace Navarch.Kubelet.Containerd;

/// <summary>POSIX signals to child processes (.NET's Process can only SIGKILL).</summary>
internal static partial class Signals
{
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
