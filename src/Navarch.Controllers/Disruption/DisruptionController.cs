using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Policy;
using Navarch.Api.Selectors;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Disruption;

/// <summary>
/// kube-controller-manager's disruption controller: keeps each PodDisruptionBudget's status — the pods it selects
/// that are healthy (ready, not being deleted, not just evicted), how many must be (minAvailable, or the expected pods
/// less maxUnavailable; percentages of the summed scale of the pods' controllers), the disruptions that leaves, the
/// evictions still awaiting their deletes, and the DisruptionAllowed condition. A budget it cannot compute gets
/// disruptionsAllowed 0 and the condition False/SyncFailed (failSafe), so evictions stop rather than guess.
/// </summary>
public sealed class DisruptionController : QueueController
{
    private readonly Informer<V1PodDisruptionBudget> _budgets;
    private readonly Informer<V1Pod> _pods;
    private readonly ScaleFinder _finder;
    private readonly EventRecorder _events;

    /// <summary>Creates the controller over the shared budget, pod and workload informers.</summary>
    public DisruptionController(ControllerContext context)
        : base("disruption", context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _budgets = context.Informers.Get<V1PodDisruptionBudget>();
        _pods = context.Informers.Get<V1Pod>();
        _finder = new ScaleFinder(context);
        _events = context.Recorder("controllermanager");
        _budgets.AddHandler(new ResourceEventHandler<V1PodDisruptionBudget>(Enqueue, (b, _) => Enqueue(b)));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(PodChanged, (p, _) => PodChanged(p)));
    }

    private void PodChanged(V1Pod pod)
    {
        foreach (V1PodDisruptionBudget budget in _budgets.Store.List(pod.Metadata.NamespaceProperty ?? ""))
        {
            if (budget.Spec?.Selector is { } selector && selector.Matches(pod.Metadata.Labels))
            {
                Enqueue(budget);
            }
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_budgets.Store.Get(key) is not { } budget)
        {
            return;
        }

        try
        {
            await TrySyncAsync(key, budget, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // A newer budget is on its way to the informer (or it is gone): the retry sees it.
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailSafeAsync(budget, e.Message, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task TrySyncAsync(string key, V1PodDisruptionBudget budget, CancellationToken cancellationToken)
    {
        // policy/v1: an empty selector selects every pod of the namespace, a missing one none.
        List<V1Pod> pods = budget.Spec?.Selector is { } selector
            ? _pods.Store.List(budget.Metadata.NamespaceProperty).Where(p => selector.Matches(p.Metadata.Labels)).ToList()
            : [];
        if (pods.Count == 0)
        {
            _events.Event(budget, "Normal", "NoPods", "No matching pods found");
        }

        (int expected, int desired) = await ExpectedAsync(budget, pods, cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = Time.GetUtcNow();
        (Dictionary<string, DateTime?> disrupted, DateTimeOffset? recheck) = DisruptedPods(pods, budget, now);
        int healthy = pods.Count(p => p.Metadata.DeletionTimestamp is null && !disrupted.ContainsKey(p.Metadata.Name) && DisruptionBudgets.IsPodReady(p));
        await UpdateStatusAsync(budget, healthy, desired, expected, disrupted, cancellationToken).ConfigureAwait(false);
        if (recheck is { } at)
        {
            Queue.AddAfter(key, at - now);
        }
    }

    /// <summary>getExpectedPodCount: the pods the budget expects and how many of them must stay healthy.</summary>
    private async Task<(int Expected, int Desired)> ExpectedAsync(V1PodDisruptionBudget budget, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        if (budget.Spec?.MaxUnavailable is { } maxUnavailable)
        {
            int expected = await ExpectedScaleAsync(budget, pods, cancellationToken).ConfigureAwait(false);
            int unavailable = DisruptionBudgets.Scaled(maxUnavailable, expected, roundUp: true) ?? throw Invalid(maxUnavailable);
            return (expected, Math.Max(0, expected - unavailable));
        }

        if (budget.Spec?.MinAvailable is { } minAvailable)
        {
            if (!DisruptionBudgets.IsPercent(minAvailable))
            {
                return (pods.Count, DisruptionBudgets.Scaled(minAvailable, 0, roundUp: true) ?? throw Invalid(minAvailable));
            }

            int expected = await ExpectedScaleAsync(budget, pods, cancellationToken).ConfigureAwait(false);
            return (expected, DisruptionBudgets.Scaled(minAvailable, expected, roundUp: true) ?? throw Invalid(minAvailable));
        }

        return (0, 0);
    }

    /// <summary>getExpectedScale: the summed scale of the pods' distinct controllers; unmanaged pods are reported, not counted.</summary>
    private async Task<int> ExpectedScaleAsync(V1PodDisruptionBudget budget, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        var scales = new Dictionary<string, int>(StringComparer.Ordinal);
        bool unmanaged = false;
        foreach (V1Pod pod in pods)
        {
            V1OwnerReference? controller = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
            if (controller is null)
            {
                unmanaged = true;
                continue;
            }

            if (scales.ContainsKey(controller.Uid))
            {
                continue;
            }

            ScaleFinder.ControllerScale found = await _finder.FindAsync(controller, pod.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"found no controllers for pod \"{pod.Metadata.Name}\"");
            scales[found.Uid] = found.Scale;
        }

        if (unmanaged)
        {
            _events.Event(
                budget,
                "Warning",
                "UnmanagedPods",
                $"Pods selected by this PodDisruptionBudget (selector: {budget.Spec.Selector?.Format()}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.");
        }

        return scales.Values.Sum();
    }

    /// <summary>
    /// buildDisruptedPodMap: the evictions still expected to turn into deletes — entries for pods that exist, are not
    /// being deleted yet and were evicted less than DeletionTimeout ago — and when the earliest of them expires.
    /// </summary>
    private (Dictionary<string, DateTime?> Disrupted, DateTimeOffset? Recheck) DisruptedPods(List<V1Pod> pods, V1PodDisruptionBudget budget, DateTimeOffset now)
    {
        var result = new Dictionary<string, DateTime?>(StringComparer.Ordinal);
        DateTimeOffset? recheck = null;
        if (budget.Status?.DisruptedPods is not { } recorded)
        {
            return (result, recheck);
        }

        foreach (V1Pod pod in pods)
        {
            if (pod.Metadata.DeletionTimestamp is not null || !recorded.TryGetValue(pod.Metadata.Name, out DateTime? recordedAt) || recordedAt is not { } at)
            {
                continue;
            }

            DateTimeOffset expected = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) + DisruptionBudgets.DeletionTimeout;
            if (expected < now)
            {
                _events.Event(pod, "Warning", "NotDeleted", $"Pod was expected by PDB {budget.Metadata.NamespaceProperty}/{budget.Metadata.Name} to be deleted but it wasn't");
                continue;
            }

            result[pod.Metadata.Name] = at;
            if (recheck is null || expected < recheck)
            {
                recheck = expected;
            }
        }

        return (result, recheck);
    }

    private async Task UpdateStatusAsync(V1PodDisruptionBudget budget, int healthy, int desired, int expected, Dictionary<string, DateTime?> disrupted, CancellationToken cancellationToken)
    {
        // A budget that matches no pods yet allows nothing, so its first pods are safe before the next sync.
        int allowed = expected <= 0 ? 0 : Math.Max(0, healthy - desired);
        V1PodDisruptionBudgetStatus? current = budget.Status;
        long generation = budget.Metadata.Generation ?? 0;
        if (current is not null && current.CurrentHealthy == healthy && current.DesiredHealthy == desired && current.ExpectedPods == expected
            && current.DisruptionsAllowed == allowed && SameDisrupted(current.DisruptedPods, disrupted) && (current.ObservedGeneration ?? 0) == generation
            && DisruptionBudgets.ConditionsAreUpToDate(budget))
        {
            return;
        }

        V1PodDisruptionBudget copy = ModelCopies.Copy(budget);
        copy.Status = new V1PodDisruptionBudgetStatus
        {
            CurrentHealthy = healthy,
            DesiredHealthy = desired,
            ExpectedPods = expected,
            DisruptionsAllowed = allowed,
            DisruptedPods = disrupted.Count == 0 ? null : disrupted,
            ObservedGeneration = generation,
            Conditions = copy.Status?.Conditions,
        };
        DisruptionBudgets.UpdateDisruptionAllowedCondition(copy, Time.GetUtcNow());
        await Client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>failSafe: at least stop evictions — disruptionsAllowed 0 and DisruptionAllowed False/SyncFailed with the error.</summary>
    private async Task FailSafeAsync(V1PodDisruptionBudget budget, string message, CancellationToken cancellationToken)
    {
        V1PodDisruptionBudget copy = ModelCopies.Copy(budget);
        copy.Status ??= new V1PodDisruptionBudgetStatus();
        copy.Status.DisruptionsAllowed = 0;
        DisruptionBudgets.SetCondition(copy.Status, "False", DisruptionBudgets.SyncFailedReason, message, Time.GetUtcNow());
        await Client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static bool SameDisrupted(IDictionary<string, DateTime?>? current, Dictionary<string, DateTime?> computed) =>
        (current?.Count ?? 0) == computed.Count && computed.All(kv => current!.TryGetValue(kv.Key, out DateTime? at) && at == kv.Value);

    private static InvalidOperationException Invalid(IntOrString value) =>
        new($"invalid value for IntOrString: invalid type: string is not a percentage ({value.Value})");
}
