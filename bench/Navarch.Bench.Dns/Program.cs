using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;
using Navarch.Dns;
using Navarch.Testing;

namespace Navarch.Bench.Dns;

/// <summary>
/// Cluster DNS benchmark: a real API server with Services, the cluster DNS server and a local upstream (an ARSoft DNS
/// server) on loopback; N clients each send one UDP question at a time for a few seconds. Rows: a cluster name from the
/// cache, cluster names answered from the informers each time (cache off), a forwarded name from the cache, and
/// forwarded names that go upstream each time (cache off).
/// Usage: Navarch.Bench.Dns [--clients 16] [--seconds 3] [--services 1000].
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int clients = (int)ArgOr(args, "--clients", 16);
        int seconds = (int)ArgOr(args, "--seconds", 3);
        int services = (int)ArgOr(args, "--services", 1000);

        await using ApiServerHost api = await ApiServerHost.StartAsync();
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, services).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await api.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
                {
                    Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
                    Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "http", Port = 80 }] },
                }, "default");
            }
            finally
            {
                gate.Release();
            }
        }));

        using DnsServer upstream = StartUpstream(out IPEndPoint upstreamEndpoint);
        await using ClusterDnsServer cached = await StartDnsAsync(api, upstreamEndpoint, cache: true);
        await using ClusterDnsServer uncached = await StartDnsAsync(api, upstreamEndpoint, cache: false);

        Console.WriteLine($"# Cluster DNS benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}; {services} Services, {clients} concurrent UDP clients, {seconds} s per row, all on loopback)");
        Console.WriteLine();
        Console.WriteLine("| questions | answered from | queries/s | p50 ms | p99 ms | errors |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        await Row("svc-1.default.svc.cluster.local A (one name)", "cache", cached, clients, seconds, _ => "svc-1.default.svc.cluster.local");
        await Row($"svc-N.default.svc.cluster.local A ({services} names)", "informer caches (cache off)", uncached, clients, seconds, i => $"svc-{i % services}.default.svc.cluster.local");
        await Row("www.example.test A (one name)", "cache (forwarded once)", cached, clients, seconds, _ => "www.example.test");
        await Row("hN.example.test A (distinct names)", "upstream (cache off)", uncached, clients, seconds, i => $"h{i}.example.test");
        return 0;
    }

    private static async Task Row(string what, string source, ClusterDnsServer server, int clients, int seconds, Func<long, string> name)
    {
        long counter = 0;
        var latencies = new List<double>[clients];
        int errors = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan duration = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = new List<double>(100_000);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(server.Listen);
            byte[] buffer = new byte[1500];
            while (clock.Elapsed < duration)
            {
                long i = Interlocked.Increment(ref counter);
                byte[] query = Encode((ushort)(i & 0xffff), name(i));
                long start = Stopwatch.GetTimestamp();
                await socket.SendAsync(query);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    int n = await socket.ReceiveAsync(buffer, timeout.Token);
                    if (n < 12 || (buffer[3] & 0x0f) != 0)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        double elapsed = clock.Elapsed.TotalSeconds;
        double[] all = latencies.SelectMany(l => l).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        Console.WriteLine($"| {what} | {source} | {all.Length / elapsed:N0} | {P(0.50):F2} | {P(0.99):F2} | {errors} |");
    }

    private static Task<ClusterDnsServer> StartDnsAsync(ApiServerHost api, IPEndPoint upstream, bool cache) => Bind(async port =>
    {
        var server = new ClusterDnsServer(api.Client, new ClusterDnsOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            Upstreams = [upstream],
            CacheCapacity = cache ? 10_000 : 0,
        });
        await server.StartAsync();
        return server;
    });

    /// <summary>An upstream answering every A question with 192.0.2.1 (TTL 300).</summary>
    private static DnsServer StartUpstream(out IPEndPoint endpoint)
    {
        int port = FreePort.Next();
        endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var server = new DnsServer(new UdpServerTransport(endpoint), new TcpServerTransport(endpoint, 5000, 5000));
        server.QueryReceived += (_, e) =>
        {
            var query = (DnsMessage)e.Query;
            DnsMessage response = query.CreateResponseInstance();
            response.AnswerRecords.Add(new ARecord(query.Questions[0].Name, 300, IPAddress.Parse("192.0.2.1")));
            e.Response = response;
            return Task.CompletedTask;
        };
        server.Start();
        return server;
    }

    private static async Task<T> Bind<T>(Func<int, Task<T>> start)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await start(FreePort.Next());
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }

    private static byte[] Encode(ushort id, string name)
    {
        var packet = new List<byte>(64);
        byte[] header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        header[2] = 0x01;
        header[5] = 1;
        packet.AddRange(header);
        foreach (string label in name.Split('.'))
        {
            packet.Add((byte)label.Length);
            packet.AddRange(Encoding.ASCII.GetBytes(label));
        }

        packet.AddRange([0, 0, 1, 0, 1]);
        return [.. packet];
    }

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
