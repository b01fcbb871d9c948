using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using k8s;
using Navarch.Commands;
using Navarch.Dns.Tests;
using Navarch.Testing;
using static Navarch.Testing.Polling;

namespace Navarch.Cli.Tests;

/// <summary>
/// <c>navarch dns --metrics-port</c> against a real API server: the standalone cluster DNS serves CoreDNS's metrics on
/// the port given, counting the question it answered; the flag shares the server's parsing (CoreDNS's 9153 by default,
/// 0 for none, a port out of range refused).
/// </summary>
[Trait("Category", "Integration")]
public sealed class DnsCommandMetricsTests
{
    [Fact]
    public async Task The_given_metrics_port_serves_coredns_metrics_of_the_questions_answered()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        int dnsPort = FreePort.Next();
        int metricsPort = FreePort.Next();
        using var stop = new CancellationTokenSource();
        var error = new StringWriter();
        Task<int> dns = RunAsync(api, dnsPort, metricsPort, error, stop.Token);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            // The question is answered once the informers synced; each one asked is counted.
            await Eventually(
                () => AnswersAsync(dnsPort),
                "navarch dns answering kubernetes.default",
                TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(200),
                async () => dns.IsCompleted ? $"navarch dns exited with {await dns}" : "navarch dns running");

            // Started: kube-dns published at the ClusterIP given.
            await Eventually(
                async () => (await api.Client.CoreV1.ListNamespacedServiceAsync("kube-system")).Items.Any(s => s.Metadata.Name == "kube-dns" && s.Spec.ClusterIP == "10.43.0.10"),
                "kube-dns published",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(200),
                async () => dns.IsCompleted ? $"navarch dns exited with {await dns}" : "navarch dns running");

            string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
            Assert.Contains("# TYPE coredns_dns_requests_total counter", metrics, StringComparison.Ordinal);
            Assert.Matches("""(?m)^coredns_dns_requests_total\{[^}]*type="A"[^}]*\} [1-9]""", metrics);
            Assert.Contains("coredns_dns_responses_total{", metrics, StringComparison.Ordinal);
            Assert.Contains("coredns_dns_request_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.True(await dns == 0, $"navarch dns did not stop cleanly: {error}");
    }

    /// <summary>Whether the DNS answers kubernetes.default; not before it listens (it binds once its informers synced).</summary>
    private static async Task<bool> AnswersAsync(int dnsPort)
    {
        try
        {
            return (await RawDnsClient.QueryAsync(new IPEndPoint(IPAddress.Loopback, dnsPort), "kubernetes.default.svc.cluster.local", RecordType.A)).ReturnCode == ReturnCode.NoError;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData(new string[0], 9153, null)]
    [InlineData(new[] { "--metrics-port", "19153" }, 19153, null)]
    [InlineData(new[] { "--metrics-port", "0" }, 0, null)]
    [InlineData(new[] { "--metrics-port", "65536" }, 0, "--metrics-port: 65536 must be between 0 and 65535, inclusive")]
    public void The_flag_defaults_to_CoreDNS_port_and_refuses_a_bad_one(string[] flag, int port, string? error)
    {
        ParseResult parse = new RootCommand { DnsCommand.Create() }.Parse(["dns", "--kubeconfig", "k", "--cluster-dns-bind", "127.0.0.1:53", .. flag]);
        if (error is null)
        {
            Assert.Empty(parse.Errors);
            Assert.Equal(port, parse.GetValue<int>("--metrics-port"));
        }
        else
        {
            Assert.Contains(parse.Errors, e => e.Message == error);
        }
    }

    private static Task<int> RunAsync(ApiServerHost api, int dnsPort, int metricsPort, TextWriter error, CancellationToken cancellationToken) =>
        new RootCommand { DnsCommand.Create() }.Parse(
        [
            "dns", "--kubeconfig", api.Server.AdminKubeconfigPath, "--cluster-dns-bind", $"127.0.0.1:{dnsPort}", "--dns-upstream", "127.0.0.1:1",
            "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]).InvokeAsync(new InvocationConfiguration { Error = error }, cancellationToken);
}
