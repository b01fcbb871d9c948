using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;

namespace Navarch.Bench.CustomResources;

/// <summary>
/// What serving custom resources costs against a built-in kind (issue 18): 10,000 objects of a CRD-defined kind
/// (a Widget: a small spec, a schema, printer columns) and 10,000 ConfigMaps of the same size, created and listed
/// side by side over HTTPS on loopback against an in-process API server on SQLite.
/// Usage: Navarch.Bench.CustomResources [--objects N] [--lists N].
/// </summary>
internal static class Program
{
    private const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.bench.example.com"},
         "spec":{"group":"bench.example.com","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget"},
          "versions":[{"name":"v1","served":true,"storage":true,
            "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{
              "color":{"type":"string"},"size":{"type":"integer"},"owner":{"type":"string"}}}}}},
            "additionalPrinterColumns":[{"name":"Color","type":"string","jsonPath":".spec.color"},{"name":"Size","type":"integer","jsonPath":".spec.size"}]}]}}
        """;

    public static async Task<int> Main(string[] args)
    {
        int objects = (int)ArgOr(args, "--objects", 10_000);
        int lists = (int)ArgOr(args, "--lists", 10);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-crd-");
        try
        {
            await using Navarch.Storage.IStore store = await Navarch.Storage.Sqlite.SqliteStore.OpenAsync(new Navarch.Storage.Sqlite.SqliteStoreOptions { Path = Path.Combine(dir.FullName, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
            await using var server = new Navarch.ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dir.FullName, Port = 0, BindAddress = IPAddress.Loopback }, NullLoggerFactory.Instance);
            await server.StartAsync();
            using HttpClient http = Client(server);
            await Send(http, HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd);
            while ((await Send(http, HttpMethod.Get, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.bench.example.com", null)).Contains("\"InitialNamesAccepted\"", StringComparison.Ordinal) is false)
            {
                await Task.Delay(50);
            }

            // Warm both paths up (JIT, watch caches) before measuring.
            await Send(http, HttpMethod.Post, "/api/v1/namespaces/default/configmaps", ConfigMap("warm"));
            await Send(http, HttpMethod.Post, "/apis/bench.example.com/v1/namespaces/default/widgets", Widget("warm"));

            Console.WriteLine($"# Custom resources vs built-in ({Environment.ProcessorCount} cores, {objects:N0} objects each, 32 concurrent creates, HTTPS/HTTP2, SQLite, {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            Console.WriteLine("| operation | ConfigMap | Widget (CRD) | CRD cost ÷ built-in cost |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            double cmCreate = await CreateAllAsync(http, objects, i => ("/api/v1/namespaces/default/configmaps", ConfigMap($"c{i}")));
            double crCreate = await CreateAllAsync(http, objects, i => ("/apis/bench.example.com/v1/namespaces/default/widgets", Widget($"w{i}")));
            Row("create, objects/s", cmCreate, crCreate, higherIsBetter: true);
            foreach ((string name, string query, string? accept) in new (string, string, string?)[]
            {
                ($"LIST {objects:N0}, p50 ms", "", null),
                ($"LIST {objects:N0} resourceVersion=0 (watch cache), p50 ms", "?resourceVersion=0", null),
                ($"LIST {objects:N0} as Table (kubectl get), p50 ms", "", "application/json;as=Table;v=v1;g=meta.k8s.io"),
            })
            {
                double cm = await ListAsync(http, "/api/v1/namespaces/default/configmaps" + query, accept, lists);
                double cr = await ListAsync(http, "/apis/bench.example.com/v1/namespaces/default/widgets" + query, accept, lists);
                Row(name, cm, cr, higherIsBetter: false);
            }

            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Row(string name, double builtIn, double custom, bool higherIsBetter) =>
        Console.WriteLine($"| {name} | {builtIn:N1} | {custom:N1} | {(higherIsBetter ? builtIn / custom : custom / builtIn):0.00}× |");

    private static async Task<double> CreateAllAsync(HttpClient http, int count, Func<int, (string Path, string Body)> make)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            (string path, string body) = make(i);
            await Send(http, HttpMethod.Post, path, body);
        });
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> ListAsync(HttpClient http, string path, string? accept, int times)
    {
        var ms = new List<double>();
        for (int i = 0; i < times; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            string body = await Send(http, HttpMethod.Get, path, null, accept);
            ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (i == 0 && JsonNode.Parse(body)?[accept is null ? "items" : "rows"]?.AsArray().Count is not > 1)
            {
                throw new InvalidOperationException($"{path} listed nothing");
            }
        }

        return ms.Order().ElementAt(ms.Count / 2);
    }

    private static string ConfigMap(string name) =>
        "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"color\":\"red\",\"size\":\"3\",\"owner\":\"team-a\"}}";

    private static string Widget(string name) =>
        "{\"apiVersion\":\"bench.example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"color\":\"red\",\"size\":3,\"owner\":\"team-a\"}}";

    private static async Task<string> Send(HttpClient http, HttpMethod method, string path, string? body, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
    }

    private static HttpClient Client(Navarch.ApiServer.ApiServer server)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is System.Security.Cryptography.X509Certificates.X509Certificate2 c && server.Pki.IsSignedByCa(c), ClientCertificates = [server.Pki.Admin] },
            EnableMultipleHttp2Connections = true,
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
