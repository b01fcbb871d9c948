using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// pods/log and pods/exec pass through the API server to the pod's kubelet. No kubelet exists yet, so a small HTTPS
/// server on loopback with a certificate from the cluster CA stands in for one (it is not the API server: that one
/// is real); it records what arrives and answers like a kubelet would.
/// </summary>
[Trait("Category", "Integration")]
public sealed class KubeletProxyTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private WebApplication _kubelet = null!;
    private int _kubeletPort;
    private readonly List<string> _seen = [];
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        X509Certificate2 serving = fixture.Server.Pki.IssueServing("standin-kubelet", ["localhost"], [IPAddress.Loopback]);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (cert, _, _) => fixture.Server.Pki.IsSignedByCa(cert),
        })));
        _kubelet = builder.Build();
        _kubelet.UseWebSockets();
        _kubelet.Run(async context =>
        {
            lock (_seen)
            {
                _seen.Add($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} as {context.Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, false)}");
            }

            if (context.WebSockets.IsWebSocketRequest)
            {
                using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync("v5.channel.k8s.io");
                // Channel 1 is stdout in the Kubernetes streaming protocol.
                byte[] frame = [1, .. "hello from exec\n"u8];
                await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                return;
            }

            await context.Response.WriteAsync("line 1\nline 2\n");
        });
        await _kubelet.StartAsync();
        _kubeletPort = new Uri(_kubelet.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        await fixture.Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "standin-" + _id } });
        var node = await fixture.Client.CoreV1.ReadNodeAsync("standin-" + _id);
        node.Status = new V1NodeStatus
        {
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = "127.0.0.1" }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = _kubeletPort } },
        };
        await fixture.Client.CoreV1.ReplaceNodeStatusAsync(node, "standin-" + _id);
        foreach ((string pod, string? nodeName) in new[] { ("on-node-" + _id, "standin-" + _id), ("unscheduled-" + _id, (string?)null) })
        {
            await fixture.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = pod },
                Spec = new V1PodSpec { NodeName = nodeName, Containers = [new V1Container { Name = "app", Image = "busybox:1.35" }] },
            }, "default");
        }
    }

    public async Task DisposeAsync() => await _kubelet.DisposeAsync();

    [Fact]
    public async Task Logs_are_read_from_the_kubelet_with_the_api_servers_certificate()
    {
        string logs = await fixture.Http.GetStringAsync(new Uri($"/api/v1/namespaces/default/pods/on-node-{_id}/log?tailLines=2&timestamps=true", UriKind.Relative));
        Assert.Equal("line 1\nline 2\n", logs);
        Assert.Contains($"GET /containerLogs/default/on-node-{_id}/app?tailLines=2&timestamps=true as system:apiserver", _seen);
    }

    [Fact]
    public async Task Exec_upgrades_to_a_websocket_that_reaches_the_kubelet()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("v5.channel.k8s.io");
        socket.Options.ClientCertificates.Add(fixture.Server.Pki.Admin);
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && fixture.Server.Pki.IsSignedByCa(c);
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{fixture.Server.Port}/api/v1/namespaces/default/pods/on-node-{_id}/exec?command=echo&command=hi&stdout=true"), CancellationToken.None);
        Assert.Equal("v5.channel.k8s.io", socket.SubProtocol);
        byte[] buffer = new byte[256];
        WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(1, buffer[0]);
        Assert.Equal("hello from exec\n", Encoding.UTF8.GetString(buffer, 1, received.Count - 1));
        Assert.True(_seen.Any(s => s.StartsWith($"GET /exec/default/on-node-{_id}/app?command=echo&command=hi&stdout=true", StringComparison.Ordinal)), string.Join("; ", _seen));
    }

    [Fact]
    public async Task A_pod_without_a_node_gets_kubernetes_error()
    {
        HttpResponseMessage response = await fixture.Http.GetAsync(new Uri($"/api/v1/namespaces/default/pods/unscheduled-{_id}/log", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"pod unscheduled-{_id} does not have a host assigned", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
