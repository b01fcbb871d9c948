using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Proxy.Host;
using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Nftables;
using Navarch.Proxy.NetworkPolicy.Rules;
using Navarch.Proxy.Sync;

namespace Navarch.Proxy.NetworkPolicy;

/// <summary>
/// A node's NetworkPolicy enforcement, as k3s embeds kube-router's controller beside the Service proxy: informers on
/// NetworkPolicies, Pods, Namespaces (and the kube-dns EndpointSlices, see <see cref="ClusterDnsPeers"/>) feed a
/// <see cref="BoundedFrequencyRunner"/> that recomputes what this node enforces (<see cref="NetworkPolicyCompiler"/>)
/// and, when it changed or every <see cref="NetworkPolicyOptions.SyncPeriod"/>, replaces the controller's nftables
/// table in one transaction. The table stays after the controller stops (pods stay isolated while an agent restarts),
/// until <see cref="CleanupAsync"/>.
/// </summary>
public sealed partial class NetworkPolicyController(Kubernetes client, NetworkPolicyOptions options, ILoggerFactory loggers, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CommandRunner _runner = new(options.NetworkNamespace);
    private readonly ILogger _logger = loggers.CreateLogger<NetworkPolicyController>();
    private string? _applied;
    private DateTimeOffset _appliedAt;
    private long _syncs;

    /// <summary>How many syncs wrote the table so far.</summary>
    public long AppliedSyncs => Interlocked.Read(ref _syncs);

    /// <summary>The last nft transaction written (for diagnostics and tests).</summary>
    public string? LastApplied => Volatile.Read(ref _applied);

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.ConfigureKernel)
        {
            await BridgeNetfilter.EnableAsync(_runner, _logger, cancellationToken).ConfigureAwait(false);
        }

        var informers = new SharedInformerFactory(client, loggers, _time);
        Informer<V1NetworkPolicy> policies = informers.Get<V1NetworkPolicy>();
        Informer<V1Pod> pods = informers.Get<V1Pod>();
        Informer<V1Namespace> namespaces = informers.Get<V1Namespace>();
        var dnsSlices = new Informer<V1EndpointSlice>(client, ClusterDnsPeers.Namespace, ClusterDnsPeers.SliceSelector, _time, loggers.CreateLogger<Informer<V1EndpointSlice>>());
        var nft = new NftablesClient(_runner);
        using var runner = new BoundedFrequencyRunner(
            ct => SyncAsync(nft, policies, pods, namespaces, dnsSlices, ct),
            options.MinSyncInterval,
            options.SyncPeriod,
            _time,
            e => LogSyncFailed(_logger, e.Message));
        policies.AddHandler(new ResourceEventHandler<V1NetworkPolicy>(_ => runner.Run()));
        pods.AddHandler(new ResourceEventHandler<V1Pod>(_ => runner.Run()));
        namespaces.AddHandler(new ResourceEventHandler<V1Namespace>(_ => runner.Run()));
        dnsSlices.AddHandler(new ResourceEventHandler<V1EndpointSlice>(_ => runner.Run()));

        informers.Start(cancellationToken);
        Task dnsInformer = dnsSlices.RunAsync(cancellationToken);
        LogStarted(_logger, options.NodeName, options.TableName);
        try
        {
            await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            await dnsSlices.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            await runner.LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await informers.StoppedAsync().ConfigureAwait(false);
        try
        {
            await dnsInformer.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Removes the controller's table; returns whether there was one.</summary>
    public static Task<bool> CleanupAsync(NetworkPolicyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NftablesClient(new CommandRunner(options.NetworkNamespace)).DeleteTableAsync(options.TableName, cancellationToken);
    }

    /// <summary>What the caches say now, as the compiler's inputs.</summary>
    internal static PolicyInputs Snapshot(IEnumerable<V1NetworkPolicy> policies, IEnumerable<V1Pod> pods, IEnumerable<V1Namespace> namespaces, IEnumerable<V1EndpointSlice> dnsSlices)
    {
        List<PodEndpoint> endpoints = pods.Select(PodEndpoint.From).OfType<PodEndpoint>().ToList();
        var podIps = endpoints.Select(p => p.Ip).ToHashSet();
        endpoints.AddRange(ClusterDnsPeers.From(dnsSlices, podIps));
        var labels = new Dictionary<string, IDictionary<string, string>?>(StringComparer.Ordinal);
        foreach (V1Namespace ns in namespaces)
        {
            labels[ns.Metadata.Name] = ns.Metadata.Labels;
        }

        return new PolicyInputs(policies.ToList(), endpoints, labels);
    }

    private async Task SyncAsync(NftablesClient nft, Informer<V1NetworkPolicy> policies, Informer<V1Pod> pods, Informer<V1Namespace> namespaces, Informer<V1EndpointSlice> dnsSlices, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        PolicyInputs inputs = Snapshot(policies.Store.List(), pods.Store.List(), namespaces.Store.List(), dnsSlices.Store.List());
        PolicyDataplane dataplane = NetworkPolicyCompiler.Compile(inputs, options.NodeName);
        string script = NftablesRenderer.Render(options.TableName, dataplane);
        DateTimeOffset now = _time.GetUtcNow();
        if (script == _applied && now - _appliedAt < options.SyncPeriod)
        {
            return;
        }

        TimeSpan generated = Stopwatch.GetElapsedTime(start);
        try
        {
            await nft.ApplyAsync(script, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _applied, null);
            throw;
        }

        Volatile.Write(ref _applied, script);
        _appliedAt = now;
        Interlocked.Increment(ref _syncs);
        double applyMs = (Stopwatch.GetElapsedTime(start) - generated).TotalMilliseconds;
        LogSynced(_logger, inputs.Policies.Count, dataplane.IngressPods.Count, dataplane.EgressPods.Count, script.Length, generated.TotalMilliseconds, applyMs);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Network policy controller of node {Node} running (nftables table inet {Table})")]
    private static partial void LogStarted(ILogger logger, string node, string table);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network policy sync failed, will retry: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Network policies written: {Policies} policies, {Ingress} pods isolated for ingress and {Egress} for egress ({Bytes} bytes, computed in {GenerateMs:F1} ms, applied in {ApplyMs:F1} ms)")]
    private static partial void LogSynced(ILogger logger, int policies, int ingress, int egress, int bytes, double generateMs, double applyMs);
}
