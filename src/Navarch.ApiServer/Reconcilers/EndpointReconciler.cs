using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Navarch.Client.Publishing;
using Navarch.Storage;

namespace Navarch.ApiServer.Reconcilers;

/// <summary>
/// kube-apiserver's lease endpoint reconciler (<c>--endpoint-reconciler-type=lease</c>, its default): every API server
/// refreshes its master lease (<see cref="MasterLeases"/>) every <see cref="ApiServerLeaseOptions.EndpointReconcilerInterval"/>
/// and points the <c>default/kubernetes</c> Service's Endpoints and EndpointSlice at exactly the addresses with a live
/// lease, sorted, so pods (and agents learning the server list) reach every live server at 10.43.0.1:443 and a dead one
/// drops out once its lease's TTL passes. Beyond kube-apiserver, which only looks at each interval, a server also
/// rewrites them as soon as it sees a lease come or go in the store. A clean stop removes this server's lease and address
/// at once (RemoveEndpoints), except that the last address is never erased (kube-apiserver refuses to leave the
/// Service with none). Writes go through the loopback client, so they take the path every write takes.
/// </summary>
internal sealed partial class EndpointReconciler(IStore store, Func<Kubernetes> loopback, ILogger logger, ApiServerLeaseOptions? options = null, TimeProvider? time = null) : IAsyncDisposable
{
    private readonly ApiServerLeaseOptions _options = options ?? new ApiServerLeaseOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private MasterLeases? _leases;
    private PublishedAddress? _self;
    private int _port;
    private bool _stopped;
    private Task _loop = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;

    private MasterLeases Leases => _leases ??= new MasterLeases(store, _options.EndpointReconcilerTtl);

    /// <summary>
    /// Publishes <paramref name="advertise"/>:<paramref name="port"/> (on <paramref name="nodeName"/>, when the server is
    /// also a node) beside the other live servers' addresses, then keeps it so in the background until stopped.
    /// </summary>
    public async Task StartAsync(IPAddress advertise, int port, string? nodeName, CancellationToken cancellationToken)
    {
        if (IPAddress.IsLoopback(advertise))
        {
            // A pod cannot reach the server's loopback, and Endpoints may not hold one: nothing is published or leased.
            LogFailed(logger, $"the API server listens on {advertise} only");
            return;
        }

        (_self, _port) = (new PublishedAddress(advertise, nodeName), port);
        await ReconcileAsync(cancellationToken);
        _watch = WatchAsync(_stop.Token);
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>Refreshes this server's lease and rewrites the endpoints from the live leases once (ReconcileEndpoints); failures are logged.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_stopped || _self is null)
            {
                return;
            }

            // Refreshed whatever happens below, so at least the other servers publish this one.
            await Leases.UpdateAsync(_self, cancellationToken);
            await PublishLiveAsync(cancellationToken);
        }
        catch (Exception e) when (e is StorageException or HttpOperationException or HttpRequestException)
        {
            LogFailed(logger, e is HttpOperationException http ? http.Response.Content : e.Message);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// On a clean stop (kube-apiserver's pre-shutdown hook): stops reconciling, removes this server's lease and
    /// rewrites the endpoints without it, so clients stop being sent here before it stops serving.
    /// </summary>
    public async Task RemoveEndpointsAsync(CancellationToken cancellationToken)
    {
        await StopLoopsAsync();
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_stopped || _self is null)
            {
                return;
            }

            _stopped = true;
            await Leases.RemoveAsync(_self.Address, cancellationToken);
            await PublishLiveAsync(cancellationToken);
        }
        catch (Exception e) when (e is StorageException or HttpOperationException or HttpRequestException)
        {
            LogFailed(logger, e is HttpOperationException http ? http.Response.Content : e.Message);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task PublishLiveAsync(CancellationToken cancellationToken)
    {
        // Sorted as the Endpoints' addresses are kept (RepackSubsets), so every server writes the same list.
        PublishedAddress[] live = [.. (await Leases.ListAsync(cancellationToken)).OrderBy(a => a.Address.ToString(), StringComparer.Ordinal)];
        if (live.Length == 0)
        {
            // Having just refreshed its own lease, a server that lists none sees a broken store, not an empty cluster.
            LogNoLeases(logger);
            return;
        }

        // The servers write the same two objects: one that loses a race reads again and writes what it sees then.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                // The Service itself is the bootstrap's; only where it leads is reconciled here.
                await new SelectorlessServicePublisher(loopback(), logger).PublishAsync(
                    "default", "kubernetes", clusterIp: null, new Dictionary<string, string>(), [new ServicePortMapping("https", "TCP", 443, _port)], live, cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using (var round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                Task changed = _changed.Reader.WaitToReadAsync(round.Token).AsTask();
                Task due = Task.Delay(_options.EndpointReconcilerInterval, _time, round.Token);
                await Task.WhenAny(changed, due);
                await round.CancelAsync();
                await Task.WhenAll(changed, due).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            _changed.Reader.TryRead(out _);
            try
            {
                await ReconcileAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A request timed out, or the like: the next round tries again.
                LogFailed(logger, e.Message);
            }
        }
    }

    /// <summary>Wakes the loop when a server's lease appears or goes (created, expired, removed), not on refreshes.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (WatchEvent change in store.WatchAsync(MasterLeases.Prefix, null, cancellationToken))
                {
                    if (change.IsCreate || change.Type == Navarch.Storage.WatchEventType.Delete)
                    {
                        _changed.Writer.TryWrite(true);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StorageException or InvalidOperationException)
            {
                // Compacted, too slow, or the store unreachable: the interval still reconciles; watch again shortly.
                _changed.Writer.TryWrite(true);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task StopLoopsAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
        await _watch;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync();
        _stop.Dispose();
        _lock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish the endpoints of default/kubernetes: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API server leases are listed in the store: the endpoints of default/kubernetes are left as they are")]
    private static partial void LogNoLeases(ILogger logger);
}
