using System.Collections.Concurrent;
using System.Globalization;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Quantities;
using Navarch.Api.Quota;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' ResourceQuota admission, the last validating plugin: a write that would take a namespace past one of its
/// quotas is refused (403, "exceeded quota: ..."), and an admitted one is charged to the quotas' status.used before it
/// is stored. The charge is a compare-and-swap on the quota's resourceVersion, so two racing creates cannot both fit
/// in the last unit of a quota (the second one's write conflicts, it re-reads the quota and is measured again); one
/// namespace's writes are also serialized here, as Kubernetes' per-namespace evaluator queue does, so they rarely
/// conflict. Quotas are read from the watch cache; those this server just charged are remembered until the cache
/// catches up. The resource quota controller later recounts status.used from the objects themselves.
/// </summary>
internal sealed class ResourceQuotaAdmission(IStore store, ResourceCatalog catalog, WatchCaches caches, TimeProvider time) : IAdmissionPlugin
{
    private const int Retries = 3;

    // Kubernetes' default ignored resources: not worth quota, and charging them would tie events to quota writes.
    private static readonly HashSet<string> Ignored = new(["events", "events.events.k8s.io"], StringComparer.Ordinal);

    private readonly ObjectLister<V1ResourceQuota> _quotas = new(caches, catalog.Find("", "v1", "resourcequotas")!);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _namespaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, V1ResourceQuota> _charged = new(StringComparer.Ordinal);

    public string Name => "ResourceQuota";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Namespace is not { Length: > 0 } ns || request.Object is null || request.Operation == AdmissionOperation.Delete
            || request.Subresource is not null || Ignored.Contains(request.Resource.GroupResource))
        {
            return;
        }

        QuotaEvaluator evaluator = QuotaEvaluator.For(request.Resource.Group, request.Resource.Plural);
        if (!evaluator.Handles(update: request.Operation == AdmissionOperation.Update) || (await CurrentAsync(ns, cancellationToken)).Count == 0)
        {
            return;
        }

        if (request.DryRun)
        {
            // A dry run is checked against the quotas as a real write would be, and charges nothing.
            _ = Charge(await CurrentAsync(ns, cancellationToken), request, evaluator);
            return;
        }

        SemaphoreSlim gate = _namespaces.GetOrAdd(ns, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            List<V1ResourceQuota> quotas = await CurrentAsync(ns, cancellationToken);
            for (int attempt = 0; ; attempt++)
            {
                List<V1ResourceQuota> conflicted = [];
                foreach (V1ResourceQuota charged in Charge(quotas, request, evaluator))
                {
                    if (!await WriteAsync(charged, cancellationToken))
                    {
                        conflicted.Add(charged);
                    }
                }

                if (conflicted.Count == 0)
                {
                    return;
                }

                if (attempt == Retries)
                {
                    throw ApiErrors.Conflict("resourcequotas", conflicted[0].Metadata.Name);
                }

                // Only the quotas whose charge did not land are measured again, against their live version.
                quotas = [];
                foreach (V1ResourceQuota quota in conflicted)
                {
                    if (await ObjectCodec.ReadAsync(store, _quotas.Definition, ns, quota.Metadata.Name, cancellationToken) is V1ResourceQuota live)
                    {
                        quotas.Add(live);
                    }
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// CheckRequest: the quotas the object counts against, each with its new status.used; throws Forbidden when one of
    /// them does not admit it. Nothing is written until every quota has agreed.
    /// </summary>
    private List<V1ResourceQuota> Charge(List<V1ResourceQuota> quotas, AdmissionRequest request, QuotaEvaluator evaluator)
    {
        object obj = request.Object!;
        var interesting = new List<V1ResourceQuota>();
        foreach (V1ResourceQuota quota in quotas.Where(q => evaluator.Matches(q, obj)))
        {
            Dictionary<string, Quantity> hard = ResourceLists.From(quota.Status?.Hard);
            IReadOnlyList<string> restricted = evaluator.MatchingResources(hard.Keys);
            if (evaluator.Constraints(restricted, obj) is { } why)
            {
                throw Forbidden(request, $"failed quota: {quota.Metadata.Name}: {why}");
            }

            if (restricted.Any(r => quota.Status?.Used?.ContainsKey(r) != true))
            {
                throw Forbidden(request, $"status unknown for quota: {quota.Metadata.Name}, resources: {string.Join(",", restricted.Order(StringComparer.Ordinal))}");
            }

            interesting.Add(quota);
        }

        if (interesting.Count == 0)
        {
            return [];
        }

        DateTimeOffset now = time.GetUtcNow();
        Dictionary<string, Quantity> usage = evaluator.Usage(obj, now);
        if (usage.Where(kv => kv.Value.Sign < 0).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } negative)
        {
            throw Forbidden(request, $"quota usage is negative for resource(s): {string.Join(",", negative)}");
        }

        var result = new List<V1ResourceQuota>();
        foreach (V1ResourceQuota quota in interesting)
        {
            Dictionary<string, Quantity> delta = usage;
            if (request.Operation == AdmissionOperation.Update && request.OldObject is { } old && evaluator.Matches(quota, old))
            {
                // An update is charged only what it adds to what the old object already used.
                delta = ResourceLists.SubtractNonNegative(usage, evaluator.Usage(old, now));
            }

            Dictionary<string, Quantity> hard = ResourceLists.From(quota.Status?.Hard);
            Dictionary<string, Quantity> requested = ResourceLists.Mask(delta.Where(kv => !kv.Value.IsZero).ToDictionary(), hard.Keys);
            if (requested.Count == 0)
            {
                continue;
            }

            Dictionary<string, Quantity> used = ResourceLists.From(quota.Status?.Used);
            Dictionary<string, Quantity> newUsed = ResourceLists.Add(used, requested);
            if (ResourceLists.Exceeding(ResourceLists.Mask(newUsed, requested.Keys), hard) is { Count: > 0 } exceeded)
            {
                throw Forbidden(request, string.Format(
                    CultureInfo.InvariantCulture,
                    "exceeded quota: {0}, requested: {1}, used: {2}, limited: {3}",
                    quota.Metadata.Name,
                    ResourceLists.PrettyPrint(ResourceLists.Mask(requested, exceeded)),
                    ResourceLists.PrettyPrint(ResourceLists.Mask(used, exceeded)),
                    ResourceLists.PrettyPrint(ResourceLists.Mask(hard, exceeded))));
            }

            var charged = (V1ResourceQuota)ObjectCodec.Clone(_quotas.Definition, quota);
            charged.Status ??= new V1ResourceQuotaStatus();
            charged.Status.Used = ResourceLists.ToApi(newUsed);
            result.Add(charged);
        }

        return result;
    }

    /// <summary>Writes the charged quota if it is still the version read; false on a conflict. A quota deleted meanwhile needs no charge.</summary>
    private async Task<bool> WriteAsync(V1ResourceQuota quota, CancellationToken cancellationToken)
    {
        string key = _quotas.Definition.Key(quota.Metadata.NamespaceProperty, quota.Metadata.Name);
        try
        {
            KeyValue written = await store.UpdateAsync(key, ObjectCodec.Encode(_quotas.Definition, quota), Revision(quota), null, cancellationToken);
            _charged[key] = (V1ResourceQuota)ObjectCodec.Decode(_quotas.Definition, written);
            return true;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
        {
            return false;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
        {
            return true;
        }
    }

    /// <summary>The namespace's quotas from the watch cache, each replaced by the version this server last charged when the cache has not seen it yet.</summary>
    private async Task<List<V1ResourceQuota>> CurrentAsync(string ns, CancellationToken cancellationToken)
    {
        List<V1ResourceQuota> cached = await _quotas.ListAsync(ns, cancellationToken);
        var result = new List<V1ResourceQuota>(cached.Count);
        foreach (V1ResourceQuota quota in cached)
        {
            string key = _quotas.Definition.Key(ns, quota.Metadata.Name);
            if (_charged.TryGetValue(key, out V1ResourceQuota? charged))
            {
                if (Revision(charged) > Revision(quota))
                {
                    result.Add(charged);
                    continue;
                }

                _charged.TryRemove(KeyValuePair.Create(key, charged));
            }

            result.Add(quota);
        }

        return result;
    }

    private static long Revision(V1ResourceQuota quota) => long.Parse(quota.Metadata.ResourceVersion, CultureInfo.InvariantCulture);

    private static StatusException Forbidden(AdmissionRequest request, string reason) =>
        ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, reason);
}
