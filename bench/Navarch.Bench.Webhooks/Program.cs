using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Bench.Webhooks;

/// <summary>
/// The latency admission webhooks add to a create, side by side: one API server in this process over a temp SQLite
/// store, one HTTPS webhook server (its own CA) on loopback, and ConfigMaps created one after another over HTTPS —
/// with no webhook configurations at all, with configurations that match nothing, and with a mutating (JSONPatch) plus
/// a validating webhook reached by URL and by a Service with a manual EndpointSlice. Rounds rotate the order.
/// Usage: Navarch.Bench.Webhooks [--creates N] [--rounds N].
/// </summary>
internal static class Program
{
    private static readonly string[] Cases = ["no webhooks", "configurations match nothing", "mutating + validating (url)", "mutating + validating (service)"];

    public static async Task<int> Main(string[] args)
    {
        int creates = (int)ArgOr(args, "--creates", 2000);
        int rounds = (int)ArgOr(args, "--rounds", 3);
        Console.WriteLine($"# Admission webhook latency benchmark ({Environment.ProcessorCount} cores, {creates:N0} sequential ConfigMap creates per case and round, {rounds} rounds, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();

        await using ApiServerHost host = await ApiServerHost.StartAsync();
        await using WebhookTestServer webhooks = await WebhookTestServer.StartAsync("webhook.bench-system.svc");
        webhooks.Handle("/mutate", r => WebhookTestServer.Patch(r, [new JsonObject { ["op"] = "add", ["path"] = "/data", ["value"] = new JsonObject { ["mutated"] = "yes" } }]));
        webhooks.Handle("/validate", WebhookTestServer.Allow);
        using HttpClient http = host.NewHttp(withClientCertificate: true);
        Kubernetes client = host.Client;

        var namespaces = new Dictionary<string, string>
        {
            [Cases[0]] = "bench-none", [Cases[1]] = "bench-unmatched", [Cases[2]] = "bench-url", [Cases[3]] = "bench-service",
        };
        foreach (string ns in namespaces.Values.Append("bench-system"))
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { ["bench"] = ns } } });
        }

        var results = Cases.ToDictionary(c => c, _ => new List<double>());
        int sequence = 0;

        // Before any configuration exists: the plugins find none and return.
        await MeasureAsync(http, "bench-none", 200, () => sequence++);
        for (int round = 0; round < rounds; round++)
        {
            results[Cases[0]].AddRange(await MeasureAsync(http, "bench-none", creates, () => sequence++));
        }

        await ConfigureAsync(client, webhooks);
        foreach (string ns in new[] { "bench-url", "bench-service" })
        {
            // The configurations reach the server through its watch; warm both paths up.
            await Polling.Eventually(async () => (await CreateAsync(http, ns, $"probe-{sequence++}", dryRun: true)).Contains("\"mutated\"", StringComparison.Ordinal), $"webhooks in use in {ns}", TimeSpan.FromSeconds(30));
            await MeasureAsync(http, ns, 200, () => sequence++);
        }

        for (int round = 0; round < rounds; round++)
        {
            for (int i = 1; i < Cases.Length; i++)
            {
                string name = Cases[1 + ((i - 1 + round) % (Cases.Length - 1))];
                results[name].AddRange(await MeasureAsync(http, namespaces[name], creates, () => sequence++));
            }
        }

        Console.WriteLine("| case | create p50 ms | p99 ms | creates/s (one client) |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (string name in Cases)
        {
            double[] sorted = [.. results[name].Order()];
            Console.WriteLine($"| {name} | {Percentile(sorted, 0.5):0.00} | {Percentile(sorted, 0.99):0.00} | {1000 / sorted.Average():N0} |");
        }

        return 0;
    }

    private static async Task ConfigureAsync(Kubernetes client, WebhookTestServer webhooks)
    {
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "webhook" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "https", Port = 443, TargetPort = webhooks.Port }] },
        }, "bench-system");
        await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "webhook-manual", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "webhook" } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["127.0.0.1"], Conditions = new V1EndpointConditions { Ready = true } }],
            Ports = [new Discoveryv1EndpointPort { Name = "https", Port = webhooks.Port, Protocol = "TCP" }],
        }, "bench-system");

        Admissionregistrationv1WebhookClientConfig Url(string path) => new() { Url = webhooks.Url(path), CaBundle = webhooks.CaBundle };
        Admissionregistrationv1WebhookClientConfig Service(string path) => new()
        {
            Service = new Admissionregistrationv1ServiceReference { NamespaceProperty = "bench-system", Name = "webhook", Path = path, Port = 443 },
            CaBundle = webhooks.CaBundle,
        };
        List<V1RuleWithOperations> rules = [new() { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["configmaps"] }];
        V1LabelSelector In(string ns) => new() { MatchLabels = new Dictionary<string, string> { ["bench"] = ns } };

        await client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "bench" },
            Webhooks =
            [
                new() { Name = "url.mutate.bench.test", ClientConfig = Url("/mutate"), Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], NamespaceSelector = In("bench-url") },
                new() { Name = "svc.mutate.bench.test", ClientConfig = Service("/mutate"), Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], NamespaceSelector = In("bench-service") },
                new() { Name = "none.mutate.bench.test", ClientConfig = Url("/mutate"), Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], NamespaceSelector = In("nowhere") },
            ],
        });
        await client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "bench" },
            Webhooks =
            [
                new() { Name = "url.validate.bench.test", ClientConfig = Url("/validate"), Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], NamespaceSelector = In("bench-url") },
                new() { Name = "svc.validate.bench.test", ClientConfig = Service("/validate"), Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], NamespaceSelector = In("bench-service") },
                new() { Name = "none.validate.bench.test", ClientConfig = Url("/validate"), Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], NamespaceSelector = In("nowhere") },
            ],
        });
    }

    /// <summary>Create latencies in milliseconds, one request at a time.</summary>
    private static async Task<List<double>> MeasureAsync(HttpClient http, string ns, int count, Func<int> next)
    {
        var latencies = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await CreateAsync(http, ns, $"cm-{next()}", dryRun: false);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    private static async Task<string> CreateAsync(HttpClient http, string ns, string name, bool dryRun)
    {
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["k"] = "v" } };
        using HttpResponseMessage response = await http.PostAsync(
            new Uri($"/api/v1/namespaces/{ns}/configmaps{(dryRun ? "?dryRun=All" : "")}", UriKind.Relative),
            new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")));
        string text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"create {ns}/{name}: {(int)response.StatusCode} {text}");
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static long ArgOr(string[] args, string name, long fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
