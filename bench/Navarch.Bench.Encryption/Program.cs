using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.ApiServer.Storage.Encryption;

namespace Navarch.Bench.Encryption;

/// <summary>
/// The cost of encryption at rest, side by side: for no configuration and for each provider (an
/// EncryptionConfiguration naming <c>secrets</c>), a fresh API server in this process over a temp SQLite store, 10,000
/// Secrets created over HTTPS by 32 concurrent clients, then LISTs of all of them read from the store (every value
/// decrypted) and from the watch cache (<c>resourceVersion=0</c>, decrypted once when cached), and the database's size;
/// then the transformer alone on the same number of values.
/// Usage: Navarch.Bench.Encryption [--secrets N] [--lists N] [--value-bytes N] [--rounds N].
/// </summary>
internal static class Program
{
    private static readonly string[] Providers = ["none", "identity", "aescbc", "aesgcm", "secretbox"];

    public static async Task<int> Main(string[] args)
    {
        int secrets = (int)ArgOr(args, "--secrets", 10_000);
        int lists = (int)ArgOr(args, "--lists", 10);
        int valueBytes = (int)ArgOr(args, "--value-bytes", 256);
        int rounds = (int)ArgOr(args, "--rounds", 3);
        Console.WriteLine($"# Encryption at rest benchmark ({Environment.ProcessorCount} cores, {secrets:N0} Secrets with a {valueBytes}-byte value, 32 creating clients, {lists} LISTs per round, medians of {rounds} rounds, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();

        // A discarded small round first, so the first measured provider does not pay for JIT and connection set-up;
        // then rounds in a rotating order, so a provider is not always measured while the machine is busier.
        foreach (string provider in Providers)
        {
            await RunAsync(provider, Math.Min(secrets, 500), 1, valueBytes);
        }

        var results = Providers.ToDictionary(p => p, _ => new List<Round>());
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < Providers.Length; i++)
            {
                string provider = Providers[(i + round) % Providers.Length];
                results[provider].Add(await RunAsync(provider, secrets, lists, valueBytes));
            }
        }

        Console.WriteLine("| provider | creates/s | LIST all from the store p50 ms | p99 ms | LIST all, resourceVersion=0 (watch cache) p50 ms | database MiB |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (string provider in Providers)
        {
            List<Round> r = results[provider];
            double[] store = [.. r.SelectMany(x => x.FromStore).Order()];
            double[] cache = [.. r.SelectMany(x => x.FromCache).Order()];
            Console.WriteLine($"| {provider} | {Median(r.Select(x => x.CreatesPerSecond)):N0} | {Percentile(store, 0.5):0.0} | {Percentile(store, 0.99):0.0} | {Percentile(cache, 0.5):0.0} | {Median(r.Select(x => x.DatabaseMiB)):0.0} |");
        }

        Console.WriteLine();
        Console.WriteLine($"| provider | transformer alone: write {secrets:N0} values ms | read them ms |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (string provider in Providers)
        {
            (double write, double read) = TransformOnly(provider, secrets, valueBytes);
            Console.WriteLine($"| {provider} | {write:0.0} | {read:0.0} |");
        }

        return 0;
    }

    /// <summary>
    /// The transformation alone, without HTTP, JSON or SQLite: <paramref name="count"/> stored-size Secret values
    /// written and read back through the configuration's transformer for secrets, best of five.
    /// </summary>
    private static (double WriteMs, double ReadMs) TransformOnly(string provider, int count, int valueBytes)
    {
        ResourceTransformers transformers = provider == "none" ? ResourceTransformers.None : ResourceTransformers.Create(EncryptionConfiguration.Parse(Configuration(provider)));
        IValueTransformer transformer = transformers.For(new GroupResource("", "secrets"));
        byte[] value = Encoding.UTF8.GetBytes("{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s1\",\"namespace\":\"bench\",\"uid\":\"" + Guid.NewGuid() + "\"},\"data\":{\"value\":\"" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(valueBytes)) + "\"},\"type\":\"Opaque\"}");
        byte[][] keys = [.. Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes($"/registry/secrets/bench/s{i}"))];
        var stored = new byte[count][];
        double bestWrite = double.MaxValue, bestRead = double.MaxValue;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                stored[i] = transformer.ToStorage(value, keys[i]);
            }

            bestWrite = Math.Min(bestWrite, clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            for (int i = 0; i < count; i++)
            {
                _ = transformer.FromStorage(stored[i], keys[i], out _);
            }

            bestRead = Math.Min(bestRead, clock.Elapsed.TotalMilliseconds);
        }

        return (bestWrite, bestRead);
    }

    private static async Task<Round> RunAsync(string provider, int secrets, int lists, int valueBytes)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-encryption-");
        try
        {
            string? config = provider == "none" ? null : Path.Combine(dir.FullName, "encryption.yaml");
            if (config is not null)
            {
                await File.WriteAllTextAsync(config, Configuration(provider));
            }

            string db = Path.Combine(dir.FullName, "server", "db", "state.db");
            await using Navarch.Storage.IStore store = await Navarch.Storage.Sqlite.SqliteStore.OpenAsync(new Navarch.Storage.Sqlite.SqliteStoreOptions { Path = db, LoggerFactory = NullLoggerFactory.Instance });
            await using var server = new Navarch.ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dir.FullName, Port = 0, BindAddress = IPAddress.Loopback, EncryptionProviderConfig = config }, NullLoggerFactory.Instance);
            await server.StartAsync();
            using HttpClient http = Client(server);
            await Send(http, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"bench"}}""");
            string value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(valueBytes));

            var clock = Stopwatch.StartNew();
            await Parallel.ForAsync(0, secrets, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
                (await Send(http, HttpMethod.Post, "/api/v1/namespaces/bench/secrets", "{\"metadata\":{\"name\":\"s" + i + "\"},\"data\":{\"value\":\"" + value + "\"}}")).Dispose());
            double creates = secrets / clock.Elapsed.TotalSeconds;

            double[] fromStore = await TimeListsAsync(http, "/api/v1/namespaces/bench/secrets", secrets, lists);
            double[] fromCache = await TimeListsAsync(http, "/api/v1/namespaces/bench/secrets?resourceVersion=0", secrets, lists);
            double mib = new[] { db, db + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length) / 1048576.0;
            return new Round(creates, fromStore, fromCache, mib);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Times <paramref name="count"/> LISTs one after another (after one warm-up), checking each returns every Secret.</summary>
    private static async Task<double[]> TimeListsAsync(HttpClient http, string path, int expected, int count)
    {
        var times = new double[count];
        for (int i = -1; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            using HttpResponseMessage response = await Send(http, HttpMethod.Get, path, null);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            double ms = clock.Elapsed.TotalMilliseconds;
            int items = CountOccurrences(body, "\"name\":\"s"u8);
            if (items < expected)
            {
                throw new InvalidOperationException($"GET {path} returned fewer than {expected} Secrets");
            }

            if (i >= 0)
            {
                times[i] = ms;
            }
        }

        Array.Sort(times);
        return times;
    }

    private static int CountOccurrences(ReadOnlySpan<byte> text, ReadOnlySpan<byte> what)
    {
        int count = 0;
        for (int at = text.IndexOf(what); at >= 0; at = text.IndexOf(what))
        {
            count++;
            text = text[(at + what.Length)..];
        }

        return count;
    }

    private static string Configuration(string provider)
    {
        string settings = provider == "identity" ? "{}" : $"{{keys: [{{name: key1, secret: \"{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}\"}}]}}";
        return $"""
            apiVersion: apiserver.config.k8s.io/v1
            kind: EncryptionConfiguration
            resources:
              - resources: [secrets]
                providers:
                  - {provider}: {settings}
            """;
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            string text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return response;
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
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static double Median(IEnumerable<double> values) => Percentile([.. values.Order()], 0.5);

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private sealed record Round(double CreatesPerSecond, double[] FromStore, double[] FromCache, double DatabaseMiB);
}
