using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Navarch.Testing;

namespace Navarch.Dns.Tests;

/// <summary>
/// A real ARSoft DNS server on a loopback port with a fixed zone <c>example.test</c>, standing in for the resolvers of
/// /etc/resolv.conf: it counts the questions it gets so tests can see what the cluster DNS forwarded or cached.
/// <c>many.example.test</c> has 100 addresses (a big answer); questions for <c>slow-*.example.test</c> wait while the
/// test holds them (<see cref="HoldSlow"/>).
/// </summary>
public sealed class FakeUpstream : IDisposable
{
    public static readonly IPAddress WwwAddress = IPAddress.Parse("192.0.2.10");
    public static readonly IPAddress TargetAddress = IPAddress.Parse("192.0.2.20");
    public const int ManyCount = 100;
    private readonly DnsServer _server;
    private int _queries;
    private int _waiting;
    private TaskCompletionSource _slow = CompletedGate();

    private FakeUpstream(DnsServer server, IPEndPoint endpoint)
    {
        _server = server;
        Endpoint = endpoint;
    }

    public IPEndPoint Endpoint { get; }

    public int Queries => Volatile.Read(ref _queries);

    /// <summary>How many slow questions are being held.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Holds the answers to slow questions until <see cref="ReleaseSlow"/>.</summary>
    public void HoldSlow() => _slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseSlow() => _slow.TrySetResult();

    public static FakeUpstream Start() => DnsPorts.Bind(port =>
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var server = new DnsServer(new UdpServerTransport(endpoint), new TcpServerTransport(endpoint, 5000, 5000));
        var upstream = new FakeUpstream(server, endpoint);
        server.QueryReceived += upstream.Answer;
        server.Start();
        return upstream;
    });

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    private async Task Answer(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref _queries);
        var query = (DnsMessage)e.Query;
        DnsMessage response = query.CreateResponseInstance();
        DnsQuestion q = query.Questions[0];
        string name = q.Name.ToString(true).TrimEnd('.').ToLowerInvariant();
        if (name.StartsWith("slow-", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _waiting);
            await _slow.Task;
            Interlocked.Decrement(ref _waiting);
            response.AnswerRecords.Add(new ARecord(q.Name, 60, WwwAddress));
            e.Response = response;
            return;
        }

        if (name == "many.example.test")
        {
            response.AnswerRecords.AddRange(Enumerable.Range(1, ManyCount).Select(i => new ARecord(q.Name, 60, IPAddress.Parse($"192.0.2.{i}"))));
            e.Response = response;
            return;
        }

        response.IsAuthoritiveAnswer = true;
        DomainName zone = DomainName.Parse("example.test");
        var soa = new SoaRecord(zone, 60, DomainName.Parse("ns.example.test"), DomainName.Parse("admin.example.test"), 1, 3600, 600, 86400, 30);
        IPAddress? address = name switch
        {
            "www.example.test" => WwwAddress,
            "target.example.test" => TargetAddress,
            _ => null,
        };
        if (address is null)
        {
            response.ReturnCode = ReturnCode.NxDomain;
            response.AuthorityRecords.Add(soa);
        }
        else if (q.RecordType == RecordType.A)
        {
            response.AnswerRecords.Add(new ARecord(q.Name, 60, address));
        }
        else
        {
            response.AuthorityRecords.Add(soa);
        }

        e.Response = response;
    }

    public void Dispose() => _server.Stop();
}

/// <summary>Loopback ports free for both UDP and TCP.</summary>
public static class DnsPorts
{
    /// <summary>Runs <paramref name="start"/> on free ports until one binds (another process may take a port meanwhile).</summary>
    public static T Bind<T>(Func<int, T> start)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return start(FreePort.Next());
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }

    public static async Task<T> BindAsync<T>(Func<int, Task<T>> start)
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
}
