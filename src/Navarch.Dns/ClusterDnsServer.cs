using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Dns.Access;
using Navarch.Dns.Caching;
using Navarch.Dns.Forwarding;
using Navarch.Dns.Zone;

namespace Navarch.Dns;

/// <summary>
/// The cluster DNS server (what CoreDNS is to a Kubernetes cluster): answers the cluster domain from informers on
/// Services and EndpointSlices, forwards other names upstream, caches both, over UDP and TCP on one endpoint. Pods reach
/// it through the <c>kube-dns</c> Service's ClusterIP, which the Service proxy routes to this endpoint. Only the
/// cluster's clients are answered (<see cref="ClusterClients"/>): others get REFUSED over UDP, and their TCP
/// connections are closed at once, so they hold no connection slot either.
/// </summary>
public sealed class ClusterDnsServer : IAsyncDisposable
{
    private readonly ClusterDnsOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ClusterState _state;
    private readonly Metrics.DnsMetrics _metrics;
    private DnsServer? _server;
    private Prometheus.MetricServer? _metricServer;
    private Task _informers = Task.CompletedTask;

    /// <summary>Creates the server; nothing runs until <see cref="StartAsync"/>.</summary>
    public ClusterDnsServer(Kubernetes client, ClusterDnsOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = loggerFactory?.CreateLogger<ClusterDnsServer>() ?? NullLogger<ClusterDnsServer>.Instance;
        time ??= TimeProvider.System;
        _state = new ClusterState(client, loggerFactory);
        Clients = new ClusterClients(options.ClusterNetworks, HostAddresses.Read, time);
        _state.Factory.Get<V1Node>().AddHandler(Clients);
        var zone = new ClusterZone(_state, DnsResolver.Domain(options.Domain), (int)options.RecordTtl.TotalSeconds);
        // Never forward to ourselves (CoreDNS's loop plugin would stop the server instead).
        var forwarder = new Forwarder(options.Upstreams.Where(u => !u.Equals(options.Listen)), options.UpstreamTimeout, options.MaxConcurrentForwards, _logger);
        Cache = new ResponseCache(options.CacheCapacity, options.MaxForwardedTtl, time);
        Resolver = new DnsResolver(_state, zone, forwarder, Cache);
        _metrics = new Metrics.DnsMetrics(Metrics, options.Listen);
    }

    /// <summary>CoreDNS's request metrics of this server, served on <see cref="ClusterDnsOptions.MetricsPort"/> when set.</summary>
    public Prometheus.CollectorRegistry Metrics { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>The endpoint the server answers on.</summary>
    public IPEndPoint Listen => _options.Listen;

    internal DnsResolver Resolver { get; }

    internal ResponseCache Cache { get; }

    internal ClusterClients Clients { get; }

    internal ClusterState State => _state;

    /// <summary>Starts the informers, waits for their first list, then binds UDP and TCP and answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _state.Factory.Start(_stop.Token);
        _informers = _state.Factory.StoppedAsync();
        await _state.Factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);

        var tcp = new ClusterOnlyTransport(new TcpServerTransport(_options.Listen, 5000, 120_000), Clients.Allows, c => Log.NotAClient(_logger, c, TransportProtocol.Tcp));
        var server = new DnsServer(new UdpServerTransport(_options.Listen), tcp);
        server.QueryReceived += OnQueryAsync;
        server.ExceptionThrown += (_, e) =>
        {
            Log.ServerError(_logger, e.Exception.Message);
            return Task.CompletedTask;
        };
        try
        {
            server.Start();
        }
        catch
        {
            // One transport may be bound already: release it.
            server.Stop();
            throw;
        }

        _server = server;
        if (_options.MetricsPort is { } metricsPort)
        {
            // As CoreDNS's prometheus plugin (":9153"): plain HTTP on every address, /metrics only.
            // A port taken (another cluster DNS on this machine) costs the metrics, not the answers.
            try
            {
                _metricServer = new Prometheus.MetricServer("+", metricsPort, "metrics/", Metrics);
                _metricServer.Start();
            }
            catch (HttpListenerException e)
            {
                Log.MetricsPortFailed(_logger, metricsPort, e.Message);
                _metricServer = null;
            }
        }

        Log.Listening(_logger, _options.Domain, _options.Listen, _options.Upstreams);
    }

    private async Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query)
        {
            return;
        }

        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await AnswerAsync(e, query).ConfigureAwait(false);
        }
        finally
        {
            _metrics.Answered(query, e.Response as DnsMessage, e.TransportProtocol, e.RemoteEndpoint.Address, start);
        }
    }

    private async Task AnswerAsync(QueryReceivedEventArgs e, DnsMessage query)
    {
        if (!Clients.Allows(e.RemoteEndpoint.Address))
        {
            Log.NotAClient(_logger, e.RemoteEndpoint.Address, e.TransportProtocol);
            e.Response = DnsResolver.Refused(query);
            return;
        }

        try
        {
            e.Response = await Resolver.AnswerAsync(query, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.QueryFailed(_logger, ex, query.Questions);
            DnsMessage failure = query.CreateResponseInstance();
            failure.ReturnCode = ReturnCode.ServerFailure;
            e.Response = failure;
        }
    }

    /// <summary>Stops answering and stops the informers.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_metricServer is not null)
        {
            await _metricServer.StopAsync().ConfigureAwait(false);
            _metricServer = null;
        }

        _server?.Stop();
        _server = null;
        await _informers.ConfigureAwait(false);
        _stop.Dispose();
    }
}
