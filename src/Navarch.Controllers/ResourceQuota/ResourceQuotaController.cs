using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Quota;
using Navarch.Client;
using Navarch.Client.Informers;

namespace Navarch.Controllers.ResourceQuota;

/// <summary>
/// kube-controller-manager's resource quota controller: keeps every ResourceQuota's status.hard equal to its spec.hard
/// and status.used equal to what the namespace's objects use (pods, services, claims, config maps and secrets from
/// the shared informers; any other <c>count/&lt;resource&gt;.&lt;group&gt;</c> by a LIST). A quota is recounted when its
/// spec changes, when an object it charges is deleted or a pod ends (releasing what the admission plugin charged),
/// and every <see cref="ControllerManagerOptions.ResourceQuotaSyncPeriod"/>. Status-only updates are ignored: those are
/// the admission plugin's charges, and a recount from a lagging cache must not undo them.
/// </summary>
public sealed class ResourceQuotaController : QueueController
{
    private readonly Informer<V1ResourceQuota> _quotas;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1ConfigMap> _configMaps;
    private readonly Informer<V1Secret> _secrets;
    private readonly RawApi _api;
    private readonly TimeSpan _period;

    /// <summary>Creates the controller over the shared informers, resyncing every <see cref="ControllerManagerOptions.ResourceQuotaSyncPeriod"/>.</summary>
    public ResourceQuotaController(ControllerContext context)
        : base("resourcequota", context)
    {
        _quotas = context.Informers.Get<V1ResourceQuota>();
        _pods = context.Informers.Get<V1Pod>();
        _services = context.Informers.Get<V1Service>();
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _configMaps = context.Informers.Get<V1ConfigMap>();
        _secrets = context.Informers.Get<V1Secret>();
        _api = context.Api;
        _period = context.Options.ResourceQuotaSyncPeriod;
        _quotas.AddHandler(new ResourceEventHandler<V1ResourceQuota>
        {
            AddFunc = Enqueue,
            UpdateFunc = (old, cur) =>
            {
                if (!ResourceLists.Equal(ResourceLists.From(old.Spec?.Hard), ResourceLists.From(cur.Spec?.Hard)))
                {
                    Enqueue(cur);
                }
            },
        });
        _pods.AddHandler(new ResourceEventHandler<V1Pod>
        {
            UpdateFunc = (old, cur) =>
            {
                DateTimeOffset now = Time.GetUtcNow();
                if (PodQuotaEvaluator.IsCharged(old, now) && !PodQuotaEvaluator.IsCharged(cur, now))
                {
                    Replenish(cur);
                }
            },
            DeleteFunc = (pod, _) => Replenish(pod),
        });
        _services.AddHandler(new ResourceEventHandler<V1Service> { DeleteFunc = (o, _) => Replenish(o), UpdateFunc = (old, cur) => ReplenishIf(old.Spec?.Type != cur.Spec?.Type, cur) });
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim> { DeleteFunc = (o, _) => Replenish(o) });
        _configMaps.AddHandler(new ResourceEventHandler<V1ConfigMap> { DeleteFunc = (o, _) => Replenish(o) });
        _secrets.AddHandler(new ResourceEventHandler<V1Secret> { DeleteFunc = (o, _) => Replenish(o) });
    }

    /// <inheritdoc />
    public override async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        // A recount from half-filled caches would release usage that is still there.
        await Task.WhenAll(
            _pods.WaitForSyncAsync(cancellationToken),
            _services.WaitForSyncAsync(cancellationToken),
            _claims.WaitForSyncAsync(cancellationToken),
            _configMaps.WaitForSyncAsync(cancellationToken),
            _secrets.WaitForSyncAsync(cancellationToken)).ConfigureAwait(false);
        await base.RunAsync(workers, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1ResourceQuota? quota = _quotas.Store.Get(key);
        if (quota is null)
        {
            return;
        }

        try
        {
            Dictionary<string, Quantity> hard = ResourceLists.From(quota.Spec?.Hard);
            Dictionary<string, Quantity> used = await UsageAsync(quota, hard.Keys.ToList(), cancellationToken).ConfigureAwait(false);
            var status = new V1ResourceQuotaStatus { Hard = ResourceLists.ToApi(hard), Used = ResourceLists.ToApi(used) };
            if (ResourceLists.Equal(hard, ResourceLists.From(quota.Status?.Hard)) && ResourceLists.Equal(used, ResourceLists.From(quota.Status?.Used)))
            {
                return;
            }

            await StatusWrites.WriteAsync(
                quota,
                status,
                null,
                (q, s) => q.Status = s,
                q => Client.CoreV1.ReplaceNamespacedResourceQuotaStatusAsync(q, q.Metadata.Name, q.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
                Queue,
                key,
                goneIsDone: true).ConfigureAwait(false);
        }
        finally
        {
            Queue.AddAfter(key, _period);
        }
    }

    /// <summary>CalculateUsage: for each evaluator charging some of the hard names, what the namespace's objects in the quota's scopes use (zero when none).</summary>
    private async Task<Dictionary<string, Quantity>> UsageAsync(V1ResourceQuota quota, List<string> hard, CancellationToken cancellationToken)
    {
        string ns = quota.Metadata.NamespaceProperty;
        DateTimeOffset now = Time.GetUtcNow();
        var used = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var evaluators = new List<(QuotaEvaluator Evaluator, Func<Task<IEnumerable<object>>> List)>
        {
            (PodQuotaEvaluator.Instance, () => Task.FromResult<IEnumerable<object>>(_pods.Store.List(ns))),
            (ServiceQuotaEvaluator.Instance, () => Task.FromResult<IEnumerable<object>>(_services.Store.List(ns))),
            (PersistentVolumeClaimQuotaEvaluator.Instance, () => Task.FromResult<IEnumerable<object>>(_claims.Store.List(ns))),
            (new ObjectCountQuotaEvaluator("", "configmaps"), () => Task.FromResult<IEnumerable<object>>(_configMaps.Store.List(ns))),
            (new ObjectCountQuotaEvaluator("", "secrets"), () => Task.FromResult<IEnumerable<object>>(_secrets.Store.List(ns))),
        };
        foreach (string name in hard.Where(IsCountOfOther))
        {
            (string resource, string group) = SplitCount(name);
            evaluators.Add((new ObjectCountQuotaEvaluator(group, resource), async () => await ListAsync(group, resource, ns, cancellationToken).ConfigureAwait(false)));
        }

        foreach (string name in new[] { "replicationcontrollers", "resourcequotas" }.Where(hard.Contains))
        {
            evaluators.Add((new ObjectCountQuotaEvaluator("", name), async () => await ListAsync("", name, ns, cancellationToken).ConfigureAwait(false)));
        }

        var scopes = QuotaEvaluator.ScopeSelectors(quota).ToList();
        foreach ((QuotaEvaluator evaluator, Func<Task<IEnumerable<object>>> list) in evaluators)
        {
            IReadOnlyList<string> matching = evaluator.MatchingResources(hard);
            if (matching.Count == 0)
            {
                continue;
            }

            var sum = matching.ToDictionary(n => n, _ => Quantity.Zero, StringComparer.Ordinal);
            foreach (object obj in (await list().ConfigureAwait(false)).Where(o => scopes.All(s => evaluator.MatchesScope(s, o))))
            {
                sum = ResourceLists.Add(sum, ResourceLists.Mask(evaluator.Usage(obj, now), matching));
            }

            used = ResourceLists.Add(used, sum);
        }

        return ResourceLists.Mask(used, hard);
    }

    // count/<resource>.<group> of a resource no informer here watches.
    private static bool IsCountOfOther(string name) =>
        name.StartsWith("count/", StringComparison.Ordinal) && name is not ("count/pods" or "count/services" or "count/persistentvolumeclaims" or "count/configmaps" or "count/secrets");

    private static (string Resource, string Group) SplitCount(string name)
    {
        string rest = name["count/".Length..];
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (rest, "") : (rest[..dot], rest[(dot + 1)..]);
    }

    /// <summary>The namespace's objects of any resource, through its group's preferred version; none when it is not served.</summary>
    private async Task<IEnumerable<object>> ListAsync(string group, string resource, string ns, CancellationToken cancellationToken)
    {
        try
        {
            string groupVersion = "v1";
            if (group.Length > 0)
            {
                using JsonDocument discovery = await _api.GetJsonAsync($"/apis/{group}", cancellationToken).ConfigureAwait(false);
                groupVersion = discovery.RootElement.GetProperty("preferredVersion").GetProperty("groupVersion").GetString() ?? "";
            }

            string root = group.Length == 0 ? "/api/v1" : $"/apis/{groupVersion}";
            using JsonDocument list = await _api.GetJsonAsync($"{root}/namespaces/{ns}/{resource}", cancellationToken).ConfigureAwait(false);
            int count = list.RootElement.TryGetProperty("items", out JsonElement items) && items.ValueKind == JsonValueKind.Array ? items.GetArrayLength() : 0;
            return Enumerable.Repeat(new object(), count);
        }
        catch (ApiException e) when (e.Code is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.MethodNotAllowed)
        {
            return [];
        }
    }

    private void ReplenishIf(bool changed, IKubernetesObject<V1ObjectMeta> obj)
    {
        if (changed)
        {
            Replenish(obj);
        }
    }

    /// <summary>Recounts the quotas of <paramref name="obj"/>'s namespace: something it charged was released.</summary>
    private void Replenish(IKubernetesObject<V1ObjectMeta> obj)
    {
        foreach (V1ResourceQuota quota in _quotas.Store.List(obj.Metadata.NamespaceProperty ?? ""))
        {
            Enqueue(quota);
        }
    }
}
