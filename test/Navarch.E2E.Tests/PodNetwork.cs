using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Navarch.E2E.Tests;

/// <summary>
/// A running pod's network namespace, found by the pod's address among the namespaces the CNI made under
/// /var/run/netns. A socket made by a thread that entered the namespace belongs to it for life, so the tests can send
/// and receive real traffic as the pod, without an exec.
/// </summary>
internal static class PodNetwork
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>The path of the network namespace that holds <paramref name="podIp"/>.</summary>
    public static async Task<string> FindNamespaceAsync(string podIp)
    {
        foreach (string path in Directory.Exists("/var/run/netns") ? Directory.GetFiles("/var/run/netns", "cni-*") : [])
        {
            var info = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "-n", Path.GetFileName(path), "-4", "-o", "addr", "show" })
            {
                info.ArgumentList.Add(arg);
            }

            using System.Diagnostics.Process ip = System.Diagnostics.Process.Start(info)!;
            string addresses = await ip.StandardOutput.ReadToEndAsync();
            await ip.WaitForExitAsync();
            if (addresses.Contains($" {podIp}/", StringComparison.Ordinal))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"no network namespace under /var/run/netns holds {podIp}");
    }

    /// <summary>A socket of the given kind in the network namespace at <paramref name="path"/>.</summary>
    public static Task<Socket> SocketInAsync(string path, SocketType type, ProtocolType protocol)
    {
        var made = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                using (SafeFileHandle handle = File.OpenHandle(path))
                {
                    if (setns(handle, CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns {path}: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                made.SetResult(new Socket(AddressFamily.InterNetwork, type, protocol));
            }
            catch (Exception e)
            {
                made.SetException(e);
            }
        }) { IsBackground = true }.Start();
        return made.Task;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(SafeFileHandle fd, int nstype);
}
