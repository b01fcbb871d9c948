using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers.PodGC;

/// <summary>
/// kube-controller-manager's pod garbage collector, run periodically: force-deletes (grace period 0) pods bound to
/// nodes that no longer exist — once the node has been missing from the cache for a quarantine and a live GET
/// confirms it — including pods already terminating there, since no kubelet will ever confirm them; and deletes
/// terminated pods (Succeeded or Failed) beyond the --terminated-pod-gc-threshold, evicted ones first, then oldest first.
/// </summary>
public sealed class PodGCController : IController
{
    private const string Key = "podgc";
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly IKubernetes _client;
    private readonly WorkQueue<string> _queue;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _terminatedPodThreshold;
    private readonly TimeSpan _quarantine;
    private readonly TimeSpan _period;
    private readonly Dictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the controller over the shared pod and node informers. <paramref name="terminatedPodThreshold"/> of 0
    /// or less keeps every terminated pod; <paramref name="quarantine"/> defaults to 40 s and <paramref name="period"/>
    /// to 20 s, as in Kubernetes.
    /// </summary>
    public PodGCController(SharedInformerFactory informers, IKubernetes client, TimeProvider time, ILogger<PodGCController> logger, int terminatedPodThreshold = 12500, TimeSpan? quarantine = null, TimeSpan? period = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _pods = informers.Get<V1Pod>();
        _nodes = informers.Get<V1Node>();
        _client = client;
        _time = time;
        _logger = logger;
        _queue = new WorkQueue<string>(time);
        _terminatedPodThreshold = terminatedPodThreshold;
        _quarantine = quarantine ?? TimeSpan.FromSeconds(40);
        _period = period ?? TimeSpan.FromSeconds(20);
    }

    /// <inheritdoc />
    public string Name => "podgc";

    /// <inheritdoc />
    public void Dispose() => _queue.Dispose();

    /// <inheritdoc />
    public Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        _queue.Add(Key);
        return ControllerLoop.RunAsync(Name, _queue, 1, SyncAsync, _logger, cancellationToken);
    }

    private async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await DeleteTerminatedAsync(cancellationToken);
            await DeleteOrphanedAsync(cancellationToken);
        }
        finally
        {
            _queue.AddAfter(Key, _period);
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

        Log.TrimmingTerminated(_logger, excess, _terminatedPodThreshold);
        foreach (V1Pod pod in terminated.OrderBy(p => p.Status?.Reason == "Evicted" ? 0 : 1).ThenBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(p => ObjectKeys.KeyOf(p), StringComparer.Ordinal).Take(excess))
        {
            await ForceDeleteAsync(pod, cancellationToken);
        }
    }

    private async Task DeleteOrphanedAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
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
                _queue.AddAfter(Key, _quarantine);
                continue;
            }

            if (now - since < _quarantine || await NodeExistsAsync(pods.Key, cancellationToken))
            {
                continue;
            }

            foreach (V1Pod pod in pods)
            {
                Log.DeletingOrphan(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, pods.Key);
                await ForceDeleteAsync(pod, cancellationToken);
            }

            _missingSince.Remove(pods.Key);
        }
    }

    private async Task<bool> NodeExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken);
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
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, gracePeriodSeconds: 0, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or a new pod of the same name.
        }
    }
}
