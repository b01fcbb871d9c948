using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Navarch.Bench.Node;
using Navarch.Testing;

namespace Navarch.Bench.Metrics;

/// <summary>
/// Scrapes every metrics endpoint of a benchmark server as a Prometheus would: the API server's /metrics, the kubelet's
/// /metrics, /metrics/cadvisor and /metrics/resource, the controller manager's, the scheduler's, the cluster DNS's and
/// the proxy's, with the bearer token of the ServiceAccount <c>examples/prometheus/rbac.yaml</c> makes (the credentials
/// docs/prometheus.md documents). Every scrape must answer 200, so a round that scraped nothing cannot pass for one.
/// </summary>
internal sealed class Scraper : IDisposable
{
    private readonly HttpClient _http;

    private Scraper(HttpClient http, IReadOnlyList<Uri> targets)
    {
        _http = http;
        Targets = targets;
    }

    /// <summary>The endpoints scraped each round.</summary>
    public IReadOnlyList<Uri> Targets { get; }

    /// <summary>Rounds scraped so far.</summary>
    public int Rounds { get; private set; }

    /// <summary>Bytes read so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Grants the scraper's ServiceAccount, finds the endpoints and waits until each answers.</summary>
    public static async Task<Scraper> StartAsync(ServerUnderTest server, ComponentPorts ports)
    {
        await server.KubectlAsync("apply", "-f", Path.Combine(ServerUnderTest.Repo, "examples", "prometheus", "rbac.yaml"));
        string token = (await server.KubectlAsync("-n", "monitoring", "create", "token", "prometheus", "--duration=1h")).Trim();
        V1Node node = await server.Client.CoreV1.ReadNodeAsync(server.NodeName);
        string kubelet = $"https://{node.Status.Addresses.First(a => a.Type == "InternalIP").Address}:{node.Status.DaemonEndpoints.KubeletEndpoint.Port}";
        Uri[] targets =
        [
            new(server.Client.BaseUri, "/metrics"),
            new($"{kubelet}/metrics"),
            new($"{kubelet}/metrics/cadvisor"),
            new($"{kubelet}/metrics/resource"),
            new($"https://127.0.0.1:{ports.ControllerManager}/metrics"),
            new($"https://127.0.0.1:{ports.Scheduler}/metrics"),
            new($"http://127.0.0.1:{ports.Dns}/metrics"),
            new($"http://127.0.0.1:{ports.Proxy}/metrics"),
        ];

        // The API server and the kubelet are verified with the cluster CA; the controller manager and scheduler serve
        // self-signed certificates, taken as the example's insecure_skip_verify takes them.
        X509Certificate2Collection ca = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig).SslCaCerts;
        var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 c && (c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData) || SignedBy(c, ca)) } };
        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var scraper = new Scraper(http, targets);
        foreach (Uri target in targets)
        {
            // The controller manager and scheduler serve once they run; the first answer may take a few seconds.
            await Polling.Eventually(() => AnswersAsync(http, target), $"{target} answering 200", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        }

        return scraper;
    }

    /// <summary>Scrapes every endpoint at once every <paramref name="interval"/>, from now until <paramref name="window"/> has passed.</summary>
    public async Task RunAsync(TimeSpan window, TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        using var ticker = new PeriodicTimer(interval);
        do
        {
            long[] sizes = await Task.WhenAll(Targets.Select(ScrapeAsync));
            Bytes += sizes.Sum();
            Rounds++;
        }
        while (clock.Elapsed + interval < window && await ticker.WaitForNextTickAsync());

        if (window - clock.Elapsed is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<long> ScrapeAsync(Uri target)
    {
        using HttpResponseMessage response = await _http.GetAsync(target);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? body.Length : throw new InvalidOperationException($"{target}: {(int)response.StatusCode}");
    }

    private static bool SignedBy(X509Certificate2 certificate, X509Certificate2Collection ca)
    {
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        return chain.Build(certificate);
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri target)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(target);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }
}
