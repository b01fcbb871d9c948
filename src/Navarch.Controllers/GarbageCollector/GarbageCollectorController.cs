using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Client;
using Navarch.Client.Informers;

namespace Navarch.Controllers.GarbageCollector;

/// <summary>
/// kube-controller-manager's garbage collector. Informers over every resource that carries ownerReferences feed an
/// ownership graph (uid to object, owner uid to dependents). Dependents whose owners are all gone — confirmed by a
/// live GET, since caches lag — are deleted in the background; a dependent that still has a live owner only loses
/// the dangling references. Owners deleted with propagationPolicy Foreground (the <c>foregroundDeletion</c>
/// finalizer) have their dependents deleted first and lose the finalizer once no dependent with
/// blockOwnerDeletion is left; owners deleted with Orphan (the <c>orphan</c> finalizer) have the references to them
/// removed from every dependent, then lose the finalizer.
/// </summary>
public sealed class GarbageCollectorController : QueueController
{
    private const string ForegroundFinalizer = "foregroundDeletion";
    private const string OrphanFinalizer = "orphan";
    private const string DependentPrefix = "dependent:";
    private const string OwnerPrefix = "owner:";
    private static readonly TimeSpan UnwatchedOwnerRecheck = TimeSpan.FromMinutes(1);

    private readonly RawApi _api;
    private readonly ResourceMapper _mapper;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);
    private readonly CustomResourceMonitors? _customResources;

    /// <summary>Creates the collector over the shared informers of every resource whose objects may have owners.</summary>
    public GarbageCollectorController(ControllerContext context)
        : base("garbagecollector", context)
    {
        _api = context.Api;
        _mapper = new ResourceMapper(context.Api);
        Monitor<V1Pod>(context.Informers, namespaced: true);
        Monitor<V1ReplicaSet>(context.Informers, namespaced: true);
        Monitor<V1ReplicationController>(context.Informers, namespaced: true);
        Monitor<V1Deployment>(context.Informers, namespaced: true);
        Monitor<V1StatefulSet>(context.Informers, namespaced: true);
        Monitor<V1DaemonSet>(context.Informers, namespaced: true);
        Monitor<V1ControllerRevision>(context.Informers, namespaced: true);
        Monitor<V1Job>(context.Informers, namespaced: true);
        Monitor<V1CronJob>(context.Informers, namespaced: true);
        Monitor<V1EndpointSlice>(context.Informers, namespaced: true);
        Monitor<V1Endpoints>(context.Informers, namespaced: true);
        Monitor<V1ConfigMap>(context.Informers, namespaced: true);
        Monitor<V1Secret>(context.Informers, namespaced: true);
        Monitor<V1Service>(context.Informers, namespaced: true);
        Monitor<V1ServiceAccount>(context.Informers, namespaced: true);
        Monitor<V1PersistentVolumeClaim>(context.Informers, namespaced: true);
        Monitor<V1Node>(context.Informers, namespaced: false);
        if (context.Client is Kubernetes client)
        {
            // Custom resources are monitored from the moment their CRD is established.
            _customResources = new CustomResourceMonitors(client, context.Time, MonitorCustomResources);
            context.Informers.Get<V1CustomResourceDefinition>().AddHandler(_customResources);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _customResources?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void MonitorCustomResources(ResourceMapping mapping, Informer<Navarch.Api.Apiextensions.CustomResource> informer)
    {
        _mapper.Add(mapping);
        informer.AddHandler(new GraphHandler<Navarch.Api.Apiextensions.CustomResource>(this, new MonitoredResource(mapping, key => informer.Store.Get(key))));
    }

    private void Monitor<T>(SharedInformerFactory informers, bool namespaced)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        KubernetesEntityAttribute entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()!;
        string apiVersion = string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}";
        var mapping = new ResourceMapping(apiVersion, entity.Kind, entity.PluralName, namespaced);
        _mapper.Add(mapping);
        Informer<T> informer = informers.Get<T>();
        informer.AddHandler(new GraphHandler<T>(this, new MonitoredResource(mapping, key => informer.Store.Get(key))));
    }

    /// <summary>An object appeared or changed: update its edges and queue what may now need work.</summary>
    private void Observed(MonitoredResource resource, IKubernetesObject<V1ObjectMeta> obj)
    {
        string uid = obj.Metadata.Uid;
        if (string.IsNullOrEmpty(uid))
        {
            return;
        }

        string[] owners = obj.Metadata.OwnerReferences?.Select(o => o.Uid).Where(u => !string.IsNullOrEmpty(u)).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        string[] released;
        bool ownersChanged;
        lock (_lock)
        {
            string[] previous = _nodes.TryGetValue(uid, out GraphNode? old) ? old.Owners : [];
            _nodes[uid] = new GraphNode(resource, ObjectKeys.KeyOf(obj), owners);
            released = previous.Except(owners, StringComparer.Ordinal).ToArray();
            foreach (string owner in released)
            {
                RemoveEdge(owner, uid);
            }

            foreach (string owner in owners)
            {
                if (!_dependents.TryGetValue(owner, out HashSet<string>? dependents))
                {
                    _dependents[owner] = dependents = new HashSet<string>(StringComparer.Ordinal);
                }

                dependents.Add(uid);
            }

            ownersChanged = old is null || !previous.SequenceEqual(owners, StringComparer.Ordinal);
        }

        if (owners.Length > 0 && ownersChanged)
        {
            Queue.Add(DependentPrefix + uid);
        }

        // An owner deleting in the foreground may have been waiting for this dependent to let go of it.
        foreach (string owner in released)
        {
            Queue.Add(OwnerPrefix + owner);
        }

        if (obj.Metadata.DeletionTimestamp is not null && obj.Metadata.Finalizers is { } finalizers
            && (finalizers.Contains(ForegroundFinalizer) || finalizers.Contains(OrphanFinalizer)))
        {
            Queue.Add(OwnerPrefix + uid);
        }
    }

    /// <summary>An object is gone: its dependents may be garbage now, and its owners may be waiting for it.</summary>
    private void Removed(MonitoredResource resource, IKubernetesObject<V1ObjectMeta> obj)
    {
        string uid = obj.Metadata.Uid;
        List<string> dependents;
        string[] owners;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(uid, out GraphNode? node) || node.Resource != resource)
            {
                return;
            }

            _nodes.Remove(uid);
            owners = node.Owners;
            foreach (string owner in owners)
            {
                RemoveEdge(owner, uid);
            }

            dependents = _dependents.TryGetValue(uid, out HashSet<string>? set) ? set.ToList() : [];
        }

        foreach (string dependent in dependents)
        {
            Queue.Add(DependentPrefix + dependent);
        }

        foreach (string owner in owners)
        {
            Queue.Add(OwnerPrefix + owner);
        }
    }

    private void RemoveEdge(string owner, string dependent)
    {
        if (_dependents.TryGetValue(owner, out HashSet<string>? dependents) && dependents.Remove(dependent) && dependents.Count == 0)
        {
            _dependents.Remove(owner);
        }
    }

    /// <summary>The cached object with <paramref name="uid"/> and its graph node, if the caches hold it.</summary>
    private (GraphNode Node, IKubernetesObject<V1ObjectMeta> Object)? Lookup(string uid)
    {
        GraphNode? node;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(uid, out node))
            {
                return null;
            }
        }

        IKubernetesObject<V1ObjectMeta>? obj = node.Resource.Get(node.Key);
        return obj is not null && obj.Metadata.Uid == uid ? (node, obj) : null;
    }

    private List<(GraphNode Node, IKubernetesObject<V1ObjectMeta> Object)> DependentsOf(string uid)
    {
        List<string> uids;
        lock (_lock)
        {
            uids = _dependents.TryGetValue(uid, out HashSet<string>? set) ? set.ToList() : [];
        }

        return uids.Select(Lookup).OfType<(GraphNode, IKubernetesObject<V1ObjectMeta>)>()
            .Where(d => d.Item2.Metadata.OwnerReferences?.Any(r => r.Uid == uid) == true)
            .ToList();
    }

    private bool HasDependents(string uid)
    {
        lock (_lock)
        {
            return _dependents.ContainsKey(uid);
        }
    }

    /// <inheritdoc />
    protected override Task SyncAsync(string key, CancellationToken cancellationToken) =>
        key.StartsWith(DependentPrefix, StringComparison.Ordinal)
            ? AttemptToDeleteAsync(key[DependentPrefix.Length..], cancellationToken)
            : ProcessOwnerAsync(key[OwnerPrefix.Length..], cancellationToken);

    /// <summary>
    /// Kubernetes' attemptToDeleteItem: classify the owners of a dependent as solid, absent or waiting for their
    /// dependents; with a solid owner only the other references go; without one the dependent is deleted.
    /// </summary>
    private async Task AttemptToDeleteAsync(string uid, CancellationToken cancellationToken)
    {
        if (Lookup(uid) is not { } found || found.Object.Metadata.DeletionTimestamp is not null || found.Object.Metadata.OwnerReferences is not { Count: > 0 } references)
        {
            return;
        }

        (GraphNode node, IKubernetesObject<V1ObjectMeta> obj) = found;

        var solid = new List<V1OwnerReference>();
        var toRemove = new HashSet<string>(StringComparer.Ordinal);
        bool waiting = false;
        foreach (V1OwnerReference reference in references)
        {
            switch (await OwnerStateAsync(reference, obj.Metadata.NamespaceProperty, cancellationToken))
            {
                case OwnerState.Solid:
                    solid.Add(reference);
                    break;
                case OwnerState.Absent:
                    toRemove.Add(reference.Uid);
                    break;
                case OwnerState.WaitingForDependents:
                    toRemove.Add(reference.Uid);
                    waiting = true;
                    break;
            }
        }

        string kind = node.Resource.Mapping.Kind;
        if (solid.Count > 0)
        {
            if (solid.Any(r => Lookup(r.Uid) is null))
            {
                // An owner no informer watches (or not yet) sends no deletion event: look at this dependent again later.
                Queue.AddAfter(DependentPrefix + uid, UnwatchedOwnerRecheck);
            }

            if (toRemove.Count > 0)
            {
                Log.RemovingOwnerReferences(Logger, kind, node.Key, toRemove);
                await UpdateMetadataAsync(node.Resource.Mapping, obj.Metadata, meta => OwnerReferencesPatch(meta, r => !toRemove.Contains(r.Uid)), cancellationToken);
            }

            return;
        }

        IList<string> finalizers = obj.Metadata.Finalizers ?? [];
        bool cascade = waiting && HasDependents(uid);
        if (cascade && DependentsOf(uid).Any(d => d.Object.Metadata.DeletionTimestamp is not null && d.Object.Metadata.Finalizers?.Contains(ForegroundFinalizer) == true))
        {
            // An owner and a dependent of this object both wait for their dependents: perhaps a cycle. As Kubernetes
            // does, this object stops blocking its owners so that they cannot wait for each other forever.
            await UpdateMetadataAsync(node.Resource.Mapping, obj.Metadata, UnblockPatch, cancellationToken);
        }

        string policy = cascade ? "Foreground"
            : finalizers.Contains(OrphanFinalizer) ? "Orphan"
            : finalizers.Contains(ForegroundFinalizer) ? "Foreground"
            : "Background";
        Log.DeletingDependent(Logger, kind, node.Key, uid, policy);
        await DeleteAsync(node.Resource.Mapping, obj.Metadata, policy, cancellationToken);
    }

    /// <summary>
    /// An owner being deleted with the orphan or foregroundDeletion finalizer: orphan its dependents, or delete them
    /// and let it go once none blocks it.
    /// </summary>
    private async Task ProcessOwnerAsync(string uid, CancellationToken cancellationToken)
    {
        if (Lookup(uid) is not { } found || found.Object.Metadata.DeletionTimestamp is null || found.Object.Metadata.Finalizers is not { } finalizers)
        {
            return;
        }

        (GraphNode node, IKubernetesObject<V1ObjectMeta> obj) = found;

        if (finalizers.Contains(OrphanFinalizer))
        {
            foreach ((GraphNode dependentNode, IKubernetesObject<V1ObjectMeta> dependent) in DependentsOf(uid))
            {
                Log.Orphaning(Logger, dependentNode.Resource.Mapping.Kind, dependentNode.Key, uid);
                await UpdateMetadataAsync(dependentNode.Resource.Mapping, dependent.Metadata, meta => OwnerReferencesPatch(meta, r => r.Uid != uid), cancellationToken);
            }

            Log.RemovingFinalizer(Logger, OrphanFinalizer, node.Resource.Mapping.Kind, node.Key);
            await UpdateMetadataAsync(node.Resource.Mapping, obj.Metadata, meta => FinalizersPatch(meta, OrphanFinalizer), cancellationToken);
            return;
        }

        if (!finalizers.Contains(ForegroundFinalizer))
        {
            return;
        }

        var dependents = DependentsOf(uid);
        bool blocked = dependents.Any(d => d.Object.Metadata.OwnerReferences.Any(r => r.Uid == uid && r.BlockOwnerDeletion == true));
        if (!blocked)
        {
            Log.RemovingFinalizer(Logger, ForegroundFinalizer, node.Resource.Mapping.Kind, node.Key);
            await UpdateMetadataAsync(node.Resource.Mapping, obj.Metadata, meta => FinalizersPatch(meta, ForegroundFinalizer), cancellationToken);
            return;
        }

        // The dependents are deleted by their own syncs; their deletions bring this owner back.
        foreach ((GraphNode _, IKubernetesObject<V1ObjectMeta> dependent) in dependents)
        {
            if (dependent.Metadata.DeletionTimestamp is null)
            {
                Queue.Add(DependentPrefix + dependent.Metadata.Uid);
            }
        }
    }

    /// <summary>Classifies one owner: from the caches when they hold it, else from a live GET (caches lag).</summary>
    private async Task<OwnerState> OwnerStateAsync(V1OwnerReference reference, string? dependentNamespace, CancellationToken cancellationToken)
    {
        if (Lookup(reference.Uid) is { } cached)
        {
            return StateOf(cached.Object.Metadata);
        }

        ResourceMapping? mapping = await _mapper.ResolveAsync(reference.ApiVersion, reference.Kind, cancellationToken);
        if (mapping is null)
        {
            Log.UnknownOwnerKind(Logger, reference.Kind, reference.ApiVersion);
            return OwnerState.Solid;
        }

        if (mapping.Namespaced && string.IsNullOrEmpty(dependentNamespace))
        {
            // A cluster-scoped dependent cannot have a namespaced owner: the reference can never resolve.
            return OwnerState.Absent;
        }

        V1ObjectMeta? live = await GetMetadataAsync(mapping, dependentNamespace, reference.Name, cancellationToken);
        return live is null || live.Uid != reference.Uid ? OwnerState.Absent : StateOf(live);
    }

    private static OwnerState StateOf(V1ObjectMeta owner) =>
        owner.DeletionTimestamp is not null && owner.Finalizers?.Contains(ForegroundFinalizer) == true ? OwnerState.WaitingForDependents : OwnerState.Solid;

    private async Task<V1ObjectMeta?> GetMetadataAsync(ResourceMapping mapping, string? ns, string name, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _api.SendAsync(HttpMethod.Get, mapping.ObjectPath(ns, name), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await RawApi.EnsureSuccessAsync(response, cancellationToken);
        using JsonDocument document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        return document.RootElement.GetProperty("metadata").Deserialize<V1ObjectMeta>(Navarch.Api.KubernetesSerialization.Options);
    }

    /// <summary>Deletes one object, guarded by its uid; already gone (or replaced) is fine.</summary>
    private async Task DeleteAsync(ResourceMapping mapping, V1ObjectMeta meta, string policy, CancellationToken cancellationToken)
    {
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["propagationPolicy"] = policy,
            ["preconditions"] = new JsonObject { ["uid"] = meta.Uid },
        };
        using HttpResponseMessage response = await _api.SendAsync(HttpMethod.Delete, mapping.ObjectPath(meta.NamespaceProperty, meta.Name), options.ToJsonString(), cancellationToken: cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Conflict))
        {
            await RawApi.EnsureSuccessAsync(response, cancellationToken);
        }
    }

    /// <summary>
    /// Reads the object live and merge-patches its metadata with <paramref name="change"/>'s result (nothing when it
    /// returns null), with the read resourceVersion as a precondition; retries on conflicts; gone is fine.
    /// </summary>
    private async Task UpdateMetadataAsync(ResourceMapping mapping, V1ObjectMeta target, Func<V1ObjectMeta, JsonObject?> change, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            V1ObjectMeta? live = await GetMetadataAsync(mapping, target.NamespaceProperty, target.Name, cancellationToken);
            if (live is null || live.Uid != target.Uid || change(live) is not { } metadata)
            {
                return;
            }

            metadata["resourceVersion"] = live.ResourceVersion;
            var patch = new JsonObject { ["metadata"] = metadata };
            using HttpResponseMessage response = await _api.SendAsync(HttpMethod.Patch, mapping.ObjectPath(target.NamespaceProperty, target.Name), patch.ToJsonString(), "application/merge-patch+json", cancellationToken: cancellationToken);
            if (response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                continue;
            }

            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                await RawApi.EnsureSuccessAsync(response, cancellationToken);
            }

            return;
        }
    }

    private static JsonObject? OwnerReferencesPatch(V1ObjectMeta meta, Func<V1OwnerReference, bool> keep)
    {
        IList<V1OwnerReference> references = meta.OwnerReferences ?? [];
        List<V1OwnerReference> kept = references.Where(keep).ToList();
        return kept.Count == references.Count
            ? null
            : new JsonObject { ["ownerReferences"] = JsonSerializer.SerializeToNode(kept, Navarch.Api.KubernetesSerialization.Options) };
    }

    private static JsonObject? UnblockPatch(V1ObjectMeta meta)
    {
        IList<V1OwnerReference> references = meta.OwnerReferences ?? [];
        if (!references.Any(r => r.BlockOwnerDeletion == true))
        {
            return null;
        }

        List<V1OwnerReference> unblocked = references.Select(r => new V1OwnerReference
        {
            ApiVersion = r.ApiVersion,
            Kind = r.Kind,
            Name = r.Name,
            Uid = r.Uid,
            Controller = r.Controller,
            BlockOwnerDeletion = r.BlockOwnerDeletion == true ? false : r.BlockOwnerDeletion,
        }).ToList();
        return new JsonObject { ["ownerReferences"] = JsonSerializer.SerializeToNode(unblocked, Navarch.Api.KubernetesSerialization.Options) };
    }

    private static JsonObject? FinalizersPatch(V1ObjectMeta meta, string finalizer)
    {
        IList<string> finalizers = meta.Finalizers ?? [];
        return finalizers.Contains(finalizer)
            ? new JsonObject { ["finalizers"] = new JsonArray(finalizers.Where(f => f != finalizer).Select(f => (JsonNode)f).ToArray()) }
            : null;
    }

    private sealed class GraphHandler<T>(GarbageCollectorController collector, MonitoredResource resource) : IResourceEventHandler<T>
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        public void OnAdd(T obj) => collector.Observed(resource, obj);

        public void OnUpdate(T oldObj, T newObj) => collector.Observed(resource, newObj);

        public void OnDelete(T lastKnown, bool finalStateUnknown) => collector.Removed(resource, lastKnown);
    }
}
