using System.Text;
using System.Text.Json;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Api.Logging;
using Navarch.Client;
using Navarch.Kubelet.Logs;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The log shipper against a real API server (Node and RBAC authorization, the node's own credentials): CRI log files
/// are shipped line for line, partial lines joined, a line still being written waits, and neither a restart, a lost
/// offsets file nor a server that is down loses or repeats a line.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ContainerLogShipperTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-logship-");
    private ApiServerHost _host = null!;
    private Kubernetes _node = null!;

    private string PodLogs => Path.Combine(_dir.FullName, "pods");

    private string StateDir => Path.Combine(_dir.FullName, "logship");

    private string LogFile => Path.Combine(PodLogs, "default_web_uid-1", "app", "0.log");

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");
        using var config = new MemoryStream(Encoding.UTF8.GetBytes(_host.Server.ClientKubeconfig("system:node:n1", "system:nodes")));
        _node = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(config));
        Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!);
    }

    public async Task DisposeAsync()
    {
        _node.Dispose();
        await _host.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private ContainerLogShipper NewShipper()
    {
        var api = new RawApi(_node);
        return new ContainerLogShipper(PodLogs, StateDir, "n1", _ => new Dictionary<string, string> { ["app"] = "web" }, (batch, ct) => ContainerLogBatchSender.SendAsync(api, batch, ct), TimeProvider.System, NullLogger.Instance);
    }

    private async Task WriteAsync(string text) => await File.AppendAllTextAsync(LogFile, text);

    private async Task<List<string>> StoredAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/apis/logging.navarch.io/v1/namespaces/default/containerlogs", UriKind.Relative));
        using HttpResponseMessage response = await new RawApi(_host.Client).SendAsync(request, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
        await RawApi.EnsureSuccessAsync(response, CancellationToken.None);
        return JsonSerializer.Deserialize<V1ContainerLogList>(await response.Content.ReadAsStringAsync())!.Items.Select(l => $"{l.Stream} {l.Message}").ToList();
    }

    [Fact]
    public async Task Lines_are_shipped_once_across_restarts_lost_state_and_an_absent_server()
    {
        await WriteAsync("2026-12-07T10:00:00.000000001Z stdout F one\n2026-12-07T10:00:00.1Z stderr P tw\n2026-12-07T10:00:00.2Z stderr F o\nnot a cri line\n");
        await WriteAsync("2026-12-07T10:00:01Z stdout F three\n2026-12-07T10:00:02Z stdout F four-no-newline-yet");
        ContainerLogShipper shipper = NewShipper();
        Assert.Equal((3, false), await shipper.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(["stdout one", "stderr two", "stdout three"], await StoredAsync());
        Assert.Equal((0, false), await shipper.ShipOnceAsync(CancellationToken.None));

        // The line being written is shipped once it ends.
        await WriteAsync("\n");
        Assert.Equal((1, false), await shipper.ShipOnceAsync(CancellationToken.None));

        // An agent restart goes on from the saved offsets (0700/0600).
        Assert.Equal((0, false), await NewShipper().ShipOnceAsync(CancellationToken.None));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StateDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(StateDir, "offsets.json")));

        // Offsets lost (a crash between the server's answer and the save): everything is sent again, and stored once.
        File.Delete(Path.Combine(StateDir, "offsets.json"));
        Assert.Equal((4, false), await NewShipper().ShipOnceAsync(CancellationToken.None));
        Assert.Equal(["stdout one", "stderr two", "stdout three", "stdout four-no-newline-yet"], await StoredAsync());

        // The server down: the send fails and the offsets stay, so the lines go once it is back.
        ContainerLogShipper again = NewShipper();
        await WriteAsync("2026-12-07T10:00:03Z stdout F five\n");
        await _host.Server.StopAsync();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => again.ShipOnceAsync(CancellationToken.None));
        await _host.RestartAsync();
        Assert.Equal((1, false), await again.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(["stdout one", "stderr two", "stdout three", "stdout four-no-newline-yet", "stdout five"], await StoredAsync());
    }

    [Fact]
    public async Task A_large_backlog_goes_in_bounded_batches_in_order()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            text.Append("2026-12-07T10:00:00Z stdout F line ").Append(i).Append(' ').Append('x', 40).Append('\n');
        }

        await WriteAsync(text.ToString());
        ContainerLogShipper shipper = NewShipper();
        int rounds = 0;
        while ((await shipper.ShipOnceAsync(CancellationToken.None)).More)
        {
            rounds++;
        }

        Assert.InRange(rounds, 1, 10);
        Assert.Equal(20_000, shipper.ShippedLines);
        List<string> stored = await StoredAsync();
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => $"stdout line {i} " + new string('x', 40)), stored);
    }
}
