using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Navarch.Testing;

/// <summary>
/// A thread that lives in one named network namespace (<c>/var/run/netns/NAME</c>) and makes sockets there: a socket
/// keeps the namespace it was made in for life, so a test talks from inside namespaces it made with ordinary async
/// socket code, without running a process there.
/// </summary>
public sealed class NetnsSockets : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly BlockingCollection<(Func<Socket> Make, TaskCompletionSource<Socket> Done)> _requests = [];
    private readonly Thread _thread;

    public NetnsSockets(string ns)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() =>
        {
            try
            {
                Enter(ns);
            }
            catch (InvalidOperationException e)
            {
                entered.SetException(e);
                return;
            }

            entered.SetResult();
            foreach ((Func<Socket> make, TaskCompletionSource<Socket> done) in _requests.GetConsumingEnumerable())
            {
                try
                {
                    done.SetResult(make());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            }
        }) { IsBackground = true, Name = $"netns {ns}" };
        _thread.Start();
        entered.Task.GetAwaiter().GetResult();
    }

    /// <summary>Moves the calling thread into the network namespace <paramref name="ns"/> (for a thread of its own).</summary>
    public static void Enter(string ns)
    {
        using SafeFileHandle handle = File.OpenHandle($"/var/run/netns/{ns}");
        if (setns(handle, CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns {ns}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A new socket in the namespace.</summary>
    public Socket Create(AddressFamily family, SocketType type, ProtocolType protocol)
    {
        var done = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((() => new Socket(family, type, protocol), done));
        return done.Task.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(SafeFileHandle fd, int nstype);
}
