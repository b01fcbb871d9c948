using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Policy;
using Navarch.Api.Selectors;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// <c>pods/{name}/eviction</c> (pkg/registry/core/pod/storage EvictionREST): a pod that has already stopped, has not
/// started, or is being deleted is deleted outright; otherwise the one PodDisruptionBudget selecting it must allow a
/// disruption, which the eviction takes — disruptionsAllowed decremented and the pod recorded in disruptedPods — with a
/// compare-and-swap on the budget, so two evictions racing for the last disruption cannot both have it. Then the
/// Eviction's deleteOptions delete the pod through the pods' own delete, after the pod got the DisruptionTarget
/// condition saying why it goes.
/// </summary>
internal sealed class EvictionRest(StoreRegistry stores, TimeProvider time) : IRestCreater
{
    /// <summary>Conflicts on the pod, retried as EvictionsRetry retries them (fewer and shorter: the delete is local).</summary>
    private const int ConflictRetries = 20;

    private const int MaxDisruptedPodSize = 2000;

    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1Eviction eviction = Http.RequestBody.Deserialize<V1Eviction>(body);
        if (eviction.Metadata?.Name != request.Name)
        {
            throw ApiErrors.BadRequest("name in URL does not match name in Eviction object");
        }

        V1DeleteOptions original = eviction.DeleteOptions ?? new V1DeleteOptions();
        bool dryRun = request.Info.Options.DryRun || original.DryRun?.Contains("All") == true;
        bool rvUnset = original.Preconditions?.ResourceVersion is null;
        string? ns = request.Info.Namespace;

        V1Pod pod;
        for (int attempt = 0; ; attempt++)
        {
            pod = (V1Pod)await request.Store.GetAsync(ns, request.Name, cancellationToken);
            if (!CanIgnoreBudget(pod))
            {
                break;
            }

            // Terminal, pending or already deleting: it disrupts nothing more. A pending pod is deleted only as the
            // version read, so one that became ready meanwhile is judged again.
            V1DeleteOptions options = ShouldEnforceResourceVersion(pod) && rvUnset ? WithResourceVersion(original, pod) : original;
            try
            {
                await AddConditionAndDeleteAsync(request, ns, options, dryRun, cancellationToken);
                return Http.Responder.Created();
            }
            catch (StatusException e) when (e.Code == HttpStatusCode.Conflict && rvUnset && attempt < ConflictRetries)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }
        }

        GenericStore budgets = stores.For("policy", "v1", "poddisruptionbudgets");
        List<V1PodDisruptionBudget> matching = await BudgetsOfAsync(budgets, pod, cancellationToken);
        if (matching.Count > 1)
        {
            return EvictionErrors.MultipleBudgets();
        }

        bool deleteAsRead = false;
        string? pdbName = null;
        if (matching.Count == 1)
        {
            V1PodDisruptionBudget pdb = matching[0];
            pdbName = pdb.Metadata.Name;
            if (!DisruptionBudgets.IsPodReady(pod) && MayEvictUnhealthy(pdb))
            {
                // An unready pod counts towards nothing: deleting it takes no disruption, provided it is still unready.
                deleteAsRead = true;
            }
            else
            {
                await budgets.UpdateAsync(ns, pdbName, "status", UpdateKind.Status, dryRun, current => Decrement(budgets.Definition, current, pod.Metadata.Name), cancellationToken);
            }
        }

        V1DeleteOptions deleteOptions = deleteAsRead ? WithResourceVersion(original, pod) : original;
        try
        {
            await AddConditionAndDeleteAsync(request, ns, deleteOptions, dryRun, cancellationToken);
        }
        catch (StatusException e) when (e.Code == HttpStatusCode.Conflict && deleteAsRead && rvUnset)
        {
            // The pod changed (it may be ready now): the client tries again and the budget judges afresh.
            throw EvictionErrors.StillProcessing(pdbName!);
        }

        return Http.Responder.Created();
    }

    /// <summary>
    /// addConditionAndDeletePod: unless this is a dry run, the pod as stored gets the <c>DisruptionTarget</c> condition
    /// (True, EvictionByEvictionAPI) through its status before it is deleted — the delete's uid and resourceVersion
    /// preconditions checked against that pod first, and a resourceVersion precondition then moved to the version the
    /// condition wrote, as the eviction itself made that change.
    /// </summary>
    private async Task AddConditionAndDeleteAsync(RestRequest request, string? ns, V1DeleteOptions options, bool dryRun, CancellationToken cancellationToken)
    {
        if (!dryRun)
        {
            IKubernetesObject<V1ObjectMeta> updated = await request.Store.UpdateAsync(
                ns, request.Name, "status", UpdateKind.Status, dryRun: false, current => WithDisruptionTarget(request.Store.Definition, current, options), cancellationToken);
            if (options.Preconditions?.ResourceVersion is not null)
            {
                options = WithResourceVersion(options, (V1Pod)updated);
            }
        }

        await request.Store.DeleteAsync(ns, request.Name, options, dryRun, cancellationToken);
    }

    private V1Pod WithDisruptionTarget(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> current, V1DeleteOptions options)
    {
        var pod = (V1Pod)ObjectCodec.Clone(definition, current);
        if (options.Preconditions?.Uid is { Length: > 0 } uid && uid != pod.Metadata.Uid)
        {
            throw ApiErrors.Conflict("Pod", pod.Metadata.Name, $"the UID in the precondition ({uid}) does not match the UID in record ({pod.Metadata.Uid}). The object might have been deleted and then recreated");
        }

        if (options.Preconditions?.ResourceVersion is { Length: > 0 } rv && rv != pod.Metadata.ResourceVersion)
        {
            throw ApiErrors.Conflict("Pod", pod.Metadata.Name, $"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({pod.Metadata.ResourceVersion}). The object might have been modified");
        }

        // UpdatePodCondition: the transition time moves only when the status does.
        pod.Status ??= new V1PodStatus();
        pod.Status.Conditions ??= [];
        V1PodCondition? condition = pod.Status.Conditions.FirstOrDefault(c => c.Type == "DisruptionTarget");
        if (condition is null)
        {
            condition = new V1PodCondition { Type = "DisruptionTarget" };
            pod.Status.Conditions.Add(condition);
        }

        if (condition.Status != "True")
        {
            DateTimeOffset now = time.GetUtcNow();
            condition.LastTransitionTime = new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        }

        condition.Status = "True";
        condition.Reason = "EvictionByEvictionAPI";
        condition.Message = "Eviction API: evicting";
        return pod;
    }

    /// <summary>
    /// checkAndDecrement on the budget as stored (run again on each compare-and-swap round): refuses when the
    /// controller is behind or no disruption is left, else takes one and records the pod.
    /// </summary>
    private IKubernetesObject<V1ObjectMeta> Decrement(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> current, string podName)
    {
        var pdb = (V1PodDisruptionBudget)ObjectCodec.Clone(definition, current);
        pdb.Status ??= new V1PodDisruptionBudgetStatus();
        V1PodDisruptionBudgetStatus status = pdb.Status;
        if ((status.ObservedGeneration ?? 0) < (pdb.Metadata.Generation ?? 0))
        {
            throw EvictionErrors.StillProcessing(pdb.Metadata.Name);
        }

        if (status.DisruptionsAllowed < 0)
        {
            throw EvictionErrors.Forbidden(pdb.Metadata.Name, "pdb disruptions allowed is negative");
        }

        if (status.DisruptedPods?.Count > MaxDisruptedPodSize)
        {
            throw EvictionErrors.Forbidden(pdb.Metadata.Name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
        }

        if (status.DisruptionsAllowed == 0)
        {
            throw EvictionErrors.BudgetExhausted(pdb);
        }

        status.DisruptionsAllowed--;
        DateTimeOffset now = time.GetUtcNow();
        if (status.DisruptionsAllowed == 0)
        {
            DisruptionBudgets.UpdateDisruptionAllowedCondition(pdb, now);
        }

        // The controller keeps the pod out of the healthy count until it is deleted (or DeletionTimeout passes).
        status.DisruptedPods ??= new Dictionary<string, DateTime?>(StringComparer.Ordinal);
        status.DisruptedPods[podName] = new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        return pdb;
    }

    /// <summary>The budgets of the pod's namespace that select it; an empty or missing selector selects nothing here.</summary>
    private static async Task<List<V1PodDisruptionBudget>> BudgetsOfAsync(GenericStore budgets, V1Pod pod, CancellationToken cancellationToken)
    {
        ListPage page = await budgets.ListAsync(pod.Metadata.NamespaceProperty, new ListQuery(LabelSelector.Everything, FieldSelector.Everything), cancellationToken);
        return page.Items.Cast<V1PodDisruptionBudget>()
            .Where(b => b.Spec?.Selector is { } s && ((s.MatchLabels?.Count ?? 0) + (s.MatchExpressions?.Count ?? 0)) > 0 && Selects(s, pod))
            .ToList();
    }

    private static bool Selects(V1LabelSelector selector, V1Pod pod)
    {
        try
        {
            return selector.Matches(pod.Metadata.Labels);
        }
        catch (ArgumentException)
        {
            // An invalid selector matches no pod.
            return false;
        }
    }

    /// <summary>unhealthyPodEvictionPolicy: AlwaysAllow, or IfHealthyBudget (the default) while the budget is met.</summary>
    private static bool MayEvictUnhealthy(V1PodDisruptionBudget pdb) =>
        pdb.Spec?.UnhealthyPodEvictionPolicy == DisruptionBudgets.AlwaysAllow
        || (pdb.Status is { } s && s.CurrentHealthy >= s.DesiredHealthy && s.DesiredHealthy > 0);

    private static bool CanIgnoreBudget(V1Pod pod) =>
        pod.Status?.Phase is "Succeeded" or "Failed" or "Pending" || pod.Metadata.DeletionTimestamp is not null;

    private static bool ShouldEnforceResourceVersion(V1Pod pod) =>
        pod.Status?.Phase is not ("Succeeded" or "Failed") && pod.Metadata.DeletionTimestamp is null;

    private static V1DeleteOptions WithResourceVersion(V1DeleteOptions options, V1Pod pod)
    {
        V1DeleteOptions copy = KubernetesJson.Deserialize<V1DeleteOptions>(KubernetesJson.Serialize(options));
        copy.Preconditions ??= new V1Preconditions();
        copy.Preconditions.ResourceVersion = pod.Metadata.ResourceVersion;
        return copy;
    }
}
