using System.Runtime.InteropServices;

namespace Navarch.Kubelet.Containerd;

/// <summary>POSIX signals to child processes (.NET's Process can only SIGKILL).</summary>
public static partial class Signals
{
    /// <summary>The polite stop.</summary>
    public const int SIGTERM = 15;

    /// <summary>libc's kill(2): sends <paramref name="signal"/> to <paramref name="pid"/>; 0 on success.</summary>
    public static int Kill(int pid, int signal) => SendSignal(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
