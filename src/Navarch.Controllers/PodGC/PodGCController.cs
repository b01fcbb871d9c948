using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.PodGC;

/// <summary>
/// kube-controller-manager's pod garbage collector, run periodically: force-deletes (grace period 0) pods bound to
/// nodes that no longer exist — once the node has been missing from the cache for a quarantine and a live GET
/// confirms it — including pods already terminating there, since no kubelet will ever confirm them; and deletes
/// terminated pods (Succeeded or Failed) beyond the --terminated-pod-gc-threshold, evicted ones first, then oldest first.
/// </summary>
public sealed class PodGCController : QueueController
{
    private const string Key = "podgc";
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly int _terminatedPodThreshold;
    private readonly TimeSpan _quarantine;
    private readonly TimeSpan _period;
    private readonly Dictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the controller over the shared pod and node informers, with the manager's
    /// <see cref="ControllerManagerOptions.TerminatedPodGCThreshold"/> (0 or less keeps every terminated pod),
    /// <see cref="ControllerManagerOptions.PodGCQuarantine"/> and <see cref="ControllerManagerOptions.PodGCPeriod"/>.
    /// </summary>
    public PodGCController(ControllerContext context)
        : base("podgc", context)
    {
        _pods = context.Informers.Get<V1Pod>();
        _nodes = context.Informers.Get<V1Node>();
        _terminatedPodThreshold = context.Options.TerminatedPodGCThreshold;
        _quarantine = context.Options.PodGCQuarantine;
        _period = context.Options.PodGCPeriod;
    }

    /// <inheritdoc />
    public override Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        Queue.Add(Key);
        return base.RunAsync(1, cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await DeleteTerminatedAsync(cancellationToken);
            await DeleteOrphanedAsync(cancellationToken);
        }
        finally
        {
            Queue.AddAfter(Key, _period);
        }
    }

    private async Task DeleteTerminatedAsync(CancellationToken cancellationToken)
    {
        if (_terminatedPodThreshold <= 0)
        {
            return;
        }

        List<V1Pod> terminated = _pods.Store.List().Where(p => p.Status?.Phase is "Succeeded" or "Failed").ToList();
        int excess = terminated.Count - _terminatedPodThreshold;
        if (excess <= 0)
        {
            return;
        }

        Log.TrimmingTerminated(Logger, excess, _terminatedPodThreshold);
        foreach (V1Pod pod in terminated.OrderBy(p => p.Status?.Reason == "Evicted" ? 0 : 1).ThenBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(p => ObjectKeys.KeyOf(p), StringComparer.Ordinal).Take(excess))
        {
            await ForceDeleteAsync(pod, cancellationToken);
        }
    }

    private async Task DeleteOrphanedAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = Time.GetUtcNow();
        ILookup<string, V1Pod> byNode = _pods.Store.List().Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName)).ToLookup(p => p.Spec.NodeName, StringComparer.Ordinal);
        foreach (string node in _missingSince.Keys.Where(n => !byNode.Contains(n) || _nodes.Store.Get(n) is not null).ToList())
        {
            _missingSince.Remove(node);
        }

        foreach (IGrouping<string, V1Pod> pods in byNode)
        {
            if (_nodes.Store.Get(pods.Key) is not null)
            {
                continue;
            }

            if (!_missingSince.TryGetValue(pods.Key, out DateTimeOffset since))
            {
                _missingSince[pods.Key] = now;
                // Look again once the quarantine is over rather than at the next period.
                Queue.AddAfter(Key, _quarantine);
                continue;
            }

            if (now - since < _quarantine || await NodeExistsAsync(pods.Key, cancellationToken))
            {
                continue;
            }

            foreach (V1Pod pod in pods)
            {
                Log.DeletingOrphan(Logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, pods.Key);
                await ForceDeleteAsync(pod, cancellationToken);
            }

            _missingSince.Remove(pods.Key);
        }
    }

    private async Task<bool> NodeExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task ForceDeleteAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
        try
        {
            await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, gracePeriodSeconds: 0, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or a new pod of the same name.
        }
    }
}
