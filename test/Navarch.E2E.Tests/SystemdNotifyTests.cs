using System.Net.Sockets;
using System.Text;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// sd_notify as a Type=notify unit sees it: the test plays systemd, with a datagram socket of its own named in
/// NOTIFY_SOCKET; `navarch server` says READY=1 only once it serves, and STOPPING=1 when SIGTERM asks it to stop.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-notify-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task The_server_tells_the_service_manager_when_it_is_ready_and_when_it_stops()
    {
        string socketPath = Path.Combine(_dir.FullName, "notify.sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(socketPath));
        string kubeconfig = Path.Combine(_dir.FullName, "kubeconfig.yaml");

        (NavarchCli server, string ready) = await PortRetry.StartAsync(
            async () =>
            {
                string dataDir = Path.Combine(_dir.FullName, "data-" + Guid.NewGuid().ToString("N")[..6]);
                NavarchCli started = NavarchCli.Start(
                    ["server", "--disable-agent", "--data-dir", dataDir, "--https-listen-port", FreePort.Next().ToString(), "--bind-address", "127.0.0.1", "--write-kubeconfig", kubeconfig],
                    new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = socketPath });
                try
                {
                    return (started, await ReceiveAsync(systemd, started, TimeSpan.FromSeconds(90)));
                }
                catch
                {
                    await started.DisposeAsync();
                    throw;
                }
            },
            e => PortRetry.SaysAddressInUse(e.Message));
        await using (server)
        {
            Assert.Equal("READY=1\nSTATUS=serving", ready);

            // Ready means serving: the API answers /readyz the moment the message arrives.
            Kubectl.Result readyz = await Kubectl.RunAsync(kubeconfig, "get", "--raw", "/readyz");
            Assert.True(readyz.ExitCode == 0, readyz.Stderr);

            Task<int> stopped = server.StopAsync();
            Assert.Equal("STOPPING=1", await ReceiveAsync(systemd, server, TimeSpan.FromSeconds(30)));
            Assert.Equal(0, await stopped);
        }
    }

    /// <summary>The next datagram; fails with the server's output when it exits first or nothing comes in time.</summary>
    private static async Task<string> ReceiveAsync(Socket systemd, NavarchCli server, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        Task<int> receive = systemd.ReceiveAsync(buffer, SocketFlags.None, cts.Token).AsTask();
        while (!receive.IsCompleted)
        {
            if (server.HasExited && await Task.WhenAny(receive, Task.Delay(500)) != receive)
            {
                await cts.CancelAsync();
                throw new InvalidOperationException($"navarch server exited before notifying: {server.Stderr}");
            }

            await Task.WhenAny(receive, Task.Delay(100));
        }

        try
        {
            return Encoding.UTF8.GetString(buffer, 0, await receive);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no notification within {timeout}: {server.Stderr}");
        }
    }
}
