using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Navarch.Kubelet.Probes;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The httpGet, tcpSocket and grpc probes against a real Kestrel server on loopback: status codes, redirects, headers,
/// named ports, refused connections, and grpc.health.v1 Health/Check answered over HTTP/2 without TLS.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProberTests : IAsyncLifetime
{
    private WebApplication? _app;
    private int _httpPort;
    private int _grpcPort;
    private readonly CriConnection _cri = new("/nonexistent/cri.sock");

    public async Task InitializeAsync()
    {
        // Both on port 0: Kestrel binds free ports and its listen options then carry them.
        ListenOptions http = null!, grpc = null!;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => http = o);
            k.Listen(IPAddress.Loopback, 0, o => (grpc = o).Protocols = HttpProtocols.Http2);
        });
        _app = builder.Build();
        _app.MapGet("/ok", () => "fine");
        _app.MapGet("/fail", () => Results.StatusCode(503));
        _app.MapGet("/hop", () => Results.Redirect("/ok"));
        _app.MapGet("/away", () => Results.Redirect("http://example.invalid/"));
        _app.MapGet("/loop", () => Results.Redirect("/loop"));
        _app.MapGet("/headers", (HttpRequest r) =>
            r.Headers["X-Probe"] == "yes" && r.Headers.UserAgent.ToString().StartsWith("kube-probe/", StringComparison.Ordinal) && r.Host.Host == "app.example"
                ? Results.Ok() : Results.StatusCode(403));
        _app.MapPost("/grpc.health.v1.Health/Check", async (HttpContext context) =>
        {
            // A hand-written grpc reply: HealthCheckResponse{status} framed (no compression, 2-byte message).
            byte[] request = new byte[64];
            int read = await context.Request.Body.ReadAtLeastAsync(request, 5, throwOnEndOfStream: false);
            string service = read > 7 ? System.Text.Encoding.UTF8.GetString(request, 7, read - 7) : "";
            int status = service == "sick" ? 2 : 1;
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 2, 0x08, (byte)status });
        });
        await _app.StartAsync();
        (_httpPort, _grpcPort) = (http.IPEndPoint!.Port, grpc.IPEndPoint!.Port);
    }

    public async Task DisposeAsync()
    {
        _cri.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private ProbeTarget Target() => new("c1", "127.0.0.1", new V1Container
    {
        Name = "web",
        Ports = [new V1ContainerPort { Name = "http", ContainerPort = _httpPort }],
    });

    private Task<ProbeOutcome> HttpAsync(string path, IntOrString? port = null, IList<V1HTTPHeader>? headers = null) =>
        new Prober(_cri.Runtime, TimeProvider.System).ProbeAsync(
            // A timeout well above the default second: these tests are about answers, and a loaded machine can be slow.
            new V1Probe { HttpGet = new V1HTTPGetAction { Path = path, Port = port ?? _httpPort.ToString(), HttpHeaders = headers }, TimeoutSeconds = 10 }, Target(), CancellationToken.None);

    [Fact]
    public async Task HttpGet_succeeds_on_2xx_3xx_and_fails_otherwise()
    {
        Assert.Equal(ProbeResult.Success, (await HttpAsync("/ok")).Result);
        Assert.Equal(ProbeResult.Success, (await HttpAsync("/ok", port: "http")).Result);
        ProbeOutcome failed = await HttpAsync("/fail");
        Assert.Equal(ProbeResult.Failure, failed.Result);
        Assert.Equal("HTTP probe failed with statuscode: 503", failed.Output);
        Assert.Equal(ProbeResult.Failure, (await HttpAsync("/ok", port: "nope")).Result);
    }

    [Fact]
    public async Task HttpGet_follows_same_host_redirects_and_stops_at_other_hosts()
    {
        ProbeOutcome hop = await HttpAsync("/hop");
        Assert.Equal(ProbeResult.Success, hop.Result);
        Assert.Equal("fine", hop.Output);
        ProbeOutcome away = await HttpAsync("/away");
        Assert.Equal(ProbeResult.Success, away.Result);
        Assert.StartsWith("Probe terminated redirects", away.Output, StringComparison.Ordinal);
        Assert.Equal(ProbeResult.Failure, (await HttpAsync("/loop")).Result);
    }

    [Fact]
    public async Task HttpGet_sends_headers_host_and_user_agent()
    {
        Assert.Equal(ProbeResult.Failure, (await HttpAsync("/headers")).Result);
        ProbeOutcome ok = await HttpAsync("/headers", headers: [new V1HTTPHeader { Name = "X-Probe", Value = "yes" }, new V1HTTPHeader { Name = "Host", Value = "app.example" }]);
        Assert.Equal(ProbeResult.Success, ok.Result);
    }

    [Fact]
    public async Task TcpSocket_connects_or_fails()
    {
        var prober = new Prober(_cri.Runtime, TimeProvider.System);
        Assert.Equal(ProbeResult.Success, (await prober.ProbeAsync(new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "http" } }, Target(), CancellationToken.None)).Result);
        ProbeOutcome refused = await prober.ProbeAsync(new V1Probe { TcpSocket = new V1TCPSocketAction { Port = Navarch.Testing.FreePort.Next().ToString() } }, Target(), CancellationToken.None);
        Assert.Equal(ProbeResult.Failure, refused.Result);
        Assert.StartsWith("dial tcp 127.0.0.1:", refused.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_asks_the_health_service()
    {
        var prober = new Prober(_cri.Runtime, TimeProvider.System);
        ProbeOutcome serving = await prober.ProbeAsync(new V1Probe { TimeoutSeconds = 5, Grpc = new V1GRPCAction { Port = _grpcPort } }, Target(), CancellationToken.None);
        Assert.True(serving.Result == ProbeResult.Success, serving.Output);
        ProbeOutcome sick = await prober.ProbeAsync(new V1Probe { TimeoutSeconds = 5, Grpc = new V1GRPCAction { Port = _grpcPort, Service = "sick" } }, Target(), CancellationToken.None);
        Assert.Equal(ProbeResult.Failure, sick.Result);
        Assert.Equal("service unhealthy (responded with \"NOT_SERVING\")", sick.Output);
        ProbeOutcome closed = await prober.ProbeAsync(new V1Probe { Grpc = new V1GRPCAction { Port = Navarch.Testing.FreePort.Next() } }, Target(), CancellationToken.None);
        Assert.Equal(ProbeResult.Failure, closed.Result);
    }
}
