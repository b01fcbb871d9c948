using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.NodeLifecycle;

/// <summary>
/// kube-controller-manager's taint eviction controller (the former NoExecute taint manager): a pod bound to a node
/// with NoExecute taints is deleted at once unless it tolerates every one of them; when all are tolerated, it is
/// deleted once the shortest tolerationSeconds among the tolerations used has passed since the taint's timeAdded
/// (tolerations without tolerationSeconds tolerate forever, zero or less means now). A taint removed before the
/// deadline cancels the eviction. Before deleting, the pod gets a DisruptionTarget condition (reason
/// DeletionByTaintManager) and a TaintManagerEviction event.
/// </summary>
public sealed class TaintEvictionController : QueueController
{
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1Pod> _pods;
    private readonly EventRecorder _events;

    // When each pod's eviction is due, for pods with one pending; a pod not in here has none.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _scheduled = new(StringComparer.Ordinal);

    // When a tolerated taint without timeAdded was first seen for a pod (the taint manager's own start time).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _firstSeen = new(StringComparer.Ordinal);

    /// <summary>Creates the controller over the shared Node and Pod informers.</summary>
    public TaintEvictionController(ControllerContext context)
        : base("taint-eviction-controller", context)
    {
        _nodes = context.Informers.Get<V1Node>();
        _pods = context.Informers.Get<V1Pod>();
        _events = context.Recorder("taint-eviction-controller");
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(PodChanged, (p, _) => Enqueue(p)));
        _nodes.AddHandler(new ResourceEventHandler<V1Node>
        {
            AddFunc = NodeChanged,
            UpdateFunc = (old, node) =>
            {
                if (!NoExecuteTaints(old).SequenceEqual(NoExecuteTaints(node), TaintComparer.Instance))
                {
                    NodeChanged(node);
                }
            },
            DeleteFunc = (node, _) => NodeChanged(node),
        });
    }

    private void PodChanged(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName) || _scheduled.ContainsKey(ObjectKeys.KeyOf(pod)))
        {
            Enqueue(pod);
        }
    }

    private void NodeChanged(V1Node node)
    {
        foreach (V1Pod pod in _pods.Store.List().Where(p => p.Spec?.NodeName == node.Metadata.Name))
        {
            Enqueue(pod);
        }
    }

    private static IEnumerable<V1Taint> NoExecuteTaints(V1Node? node) => (node?.Spec?.Taints ?? []).Where(t => t.Effect == Taints.NoExecute);

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Pod? pod = _pods.Store.Get(key);
        V1Node? node = pod is null || string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : _nodes.Store.Get(pod.Spec.NodeName);
        List<V1Taint> taints = NoExecuteTaints(node).ToList();
        if (pod is null || pod.Metadata.DeletionTimestamp is not null || taints.Count == 0)
        {
            Cancel(key, pod);
            return;
        }

        DateTimeOffset now = Time.GetUtcNow();
        DateTimeOffset? due = Deadline(key, taints, pod.Spec?.Tolerations ?? [], now);
        if (due is null)
        {
            // Every taint is tolerated forever.
            Cancel(key, pod);
            return;
        }

        if (due > now)
        {
            // Always look again at the deadline: a timer may fire a little early, and must not leave the pod behind.
            _scheduled[key] = due.Value;
            Queue.AddAfter(key, due.Value - now);
            return;
        }

        _scheduled.TryRemove(key, out _);
        _firstSeen.TryRemove(key, out _);
        await EvictAsync(pod, cancellationToken);
    }

    /// <summary>
    /// When the pod has to go: now when a taint is not tolerated, else the earliest timeAdded + tolerationSeconds over
    /// the tolerations used (the first one tolerating each taint); null when it may stay forever.
    /// </summary>
    private DateTimeOffset? Deadline(string key, List<V1Taint> taints, IList<V1Toleration> tolerations, DateTimeOffset now)
    {
        DateTimeOffset? due = null;
        foreach (V1Taint taint in taints)
        {
            V1Toleration? used = tolerations.FirstOrDefault(t => Taints.Tolerates(t, taint));
            if (used is null)
            {
                return now;
            }

            if (used.TolerationSeconds is not { } seconds)
            {
                continue;
            }

            if (seconds <= 0)
            {
                return now;
            }

            DateTimeOffset since = taint.TimeAdded is { } added ? ModelCopies.Utc(added) : _firstSeen.GetOrAdd(key, now);
            DateTimeOffset at = since + TimeSpan.FromSeconds(seconds);
            if (due is null || at < due)
            {
                due = at;
            }
        }

        return due;
    }

    private void Cancel(string key, V1Pod? pod)
    {
        _firstSeen.TryRemove(key, out _);
        if (_scheduled.TryRemove(key, out _) && pod is not null && pod.Metadata.DeletionTimestamp is null)
        {
            Log.EvictionCancelled(Logger, key);
            _events.Event(WithKind(pod), "Normal", "TaintManagerEviction", $"Cancelling deletion of Pod {key}");
        }
    }

    /// <summary>Adds the DisruptionTarget condition, then deletes the pod (guarded by its uid).</summary>
    private async Task EvictAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        string key = ObjectKeys.KeyOf(pod);
        Log.Evicting(Logger, key, pod.Spec.NodeName);
        _events.Event(WithKind(pod), "Normal", "TaintManagerEviction", $"Marking for deletion Pod {key}");
        try
        {
            if (pod.Status?.Conditions?.Any(c => c.Type == "DisruptionTarget" && c.Status == "True") != true)
            {
                V1Pod copy = ModelCopies.Copy(pod);
                copy.Status ??= new V1PodStatus();
                copy.Status.Conditions = (copy.Status.Conditions ?? []).Where(c => c.Type != "DisruptionTarget").ToList();
                copy.Status.Conditions.Add(new V1PodCondition
                {
                    Type = "DisruptionTarget",
                    Status = "True",
                    Reason = "DeletionByTaintManager",
                    Message = "Taint manager: deleting due to NoExecute taint",
                    LastTransitionTime = ModelCopies.Now(Time),
                });
                await Client.CoreV1.ReplaceNamespacedPodStatusAsync(copy, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            }

            var options = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
            await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound)
        {
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict)
        {
            // A newer pod (or another of the same name): decide again on what the informer brings.
            Queue.AddRateLimited(key);
        }
    }

    private static V1Pod WithKind(V1Pod pod)
    {
        V1Pod copy = ModelCopies.Copy(pod);
        copy.ApiVersion = "v1";
        copy.Kind = "Pod";
        return copy;
    }
}
