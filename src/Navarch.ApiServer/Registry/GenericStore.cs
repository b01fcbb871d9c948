using System.Security.Cryptography;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Admission;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The generic registry store of one resource, as k8s.io/apiserver's <c>registry/generic/registry.Store</c>: get,
/// list and watch (through the resource's watch cache), and create, update, patch, delete and deletecollection with
/// the resource's strategy, the admission chain, finalizers, graceful deletion and dry run. Every write goes
/// through <see cref="StoreExtensions.GuaranteedUpdateAsync(IStore, string, Func{KeyValue?, CancellationToken, ValueTask{StoreUpdate}}, bool, bool, WriteOptions?, CancellationToken)"/>;
/// what differs per kind is in its <see cref="StoreHooks"/>. As the main resource's REST it serves GET, POST, PUT
/// and PATCH; its subresources have REST classes of their own.
/// </summary>
internal sealed partial class GenericStore(ResourceDefinition definition, IStore store, WatchCaches caches, AdmissionChain admission, StoreHooks hooks, TimeProvider time)
    : IRestGetter, IRestCreater, IRestUpdater, IRestPatcher
{
    private static readonly TimeSpan FutureRevisionWait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan FutureRevisionPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>The resource this store serves.</summary>
    public ResourceDefinition Definition => definition;

    /// <summary>Whether a delete that removes an object answers with it rather than a Status (see <see cref="StoreHooks.ReturnDeletedObject"/>).</summary>
    public bool ReturnsDeletedObject => hooks.ReturnDeletedObject;

    /// <summary>The server's clock.</summary>
    public TimeProvider Time => time;

    /// <summary>The current time, for the clock-dependent parts of responses (ages in tables).</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The object <paramref name="ns"/>/<paramref name="name"/>, or NotFound.</summary>
    public async Task<IKubernetesObject<V1ObjectMeta>> GetAsync(string? ns, string name, CancellationToken cancellationToken) =>
        await ObjectCodec.ReadAsync(store, definition, ns, name, cancellationToken) ?? throw ApiErrors.NotFound(definition.GroupResource, name);

    async Task<object> IRestGetter.GetAsync(RestRequest request, CancellationToken cancellationToken) =>
        await GetAsync(request.Info.Namespace, request.Name, cancellationToken);

    /// <summary>One page of the objects in <paramref name="ns"/> (null: every namespace) that match the query.</summary>
    public async Task<ListPage> ListAsync(string? ns, ListQuery query, CancellationToken cancellationToken)
    {
        ListResult page = await ReadPageAsync(ns, query, cancellationToken);
        var items = (await DecodeAllAsync(page.Items, cancellationToken)).Where(o => Matches(o, query.Labels, query.Fields)).ToList();
        return new ListPage(items, page.Revision, page.Continue, Selects(query) ? null : page.RemainingCount);
    }

    /// <summary>
    /// The same page as <see cref="ListAsync"/>, as the store keeps its objects (for a LIST written from their bytes):
    /// they are decoded only when a selector has to look at them.
    /// </summary>
    public async Task<ListResult> ListStoredAsync(string? ns, ListQuery query, CancellationToken cancellationToken)
    {
        ListResult page = await ReadPageAsync(ns, query, cancellationToken);
        if (!Selects(query))
        {
            return page;
        }

        List<IKubernetesObject<V1ObjectMeta>> decoded = await DecodeAllAsync(page.Items, cancellationToken);
        var matching = new List<KeyValue>(page.Items.Count);
        for (int i = 0; i < decoded.Count; i++)
        {
            if (Matches(decoded[i], query.Labels, query.Fields))
            {
                matching.Add(page.Items[i]);
            }
        }

        return page with { Items = matching, RemainingCount = null };
    }

    // With a selector the objects the next pages hold are unknown until read: Kubernetes leaves remainingItemCount unset.
    private static bool Selects(ListQuery query) => !query.Labels.IsEverything || query.Fields.Terms.Count > 0;

    /// <summary>The page the query names, from the watch cache (resourceVersion=0) or the store.</summary>
    private async Task<ListResult> ReadPageAsync(string? ns, ListQuery query, CancellationToken cancellationToken)
    {
        CheckFieldSelector(query.Fields);
        try
        {
            if (query.AnyRevision && query.Continue is null)
            {
                (List<KeyValue> cached, long at) = await caches.For(definition).ListAsync(definition.ListPrefix(ns), cancellationToken);
                return new ListResult(cached, at, null, null);
            }

            return await ListFromStoreAsync(ns, query, cancellationToken);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.InvalidContinue)
        {
            throw ApiErrors.BadRequest("continue key is not valid: " + e.Message);
        }
    }

    /// <summary>
    /// A page from the store. A revision the store has not reached yet (a client that read from a server ahead of this
    /// one) is waited for, up to 3 seconds as kube-apiserver's watch cache does, then answered 504 ResourceVersionTooLarge.
    /// </summary>
    private async Task<ListResult> ListFromStoreAsync(string? ns, ListQuery query, CancellationToken cancellationToken)
    {
        long wanted = Math.Max(query.Revision, query.MinRevision);
        if (wanted > 0 && query.Continue is null)
        {
            DateTimeOffset deadline = time.GetUtcNow() + FutureRevisionWait;
            long current;
            while ((current = await store.GetCurrentRevisionAsync(cancellationToken)) < wanted)
            {
                if (time.GetUtcNow() >= deadline)
                {
                    throw ApiErrors.TooLargeResourceVersion(wanted, current);
                }

                await Task.Delay(FutureRevisionPoll, time, cancellationToken);
            }
        }

        return await store.ListAsync(definition.ListPrefix(ns), new ListOptions(query.Limit, query.Continue, query.Revision), cancellationToken);
    }

    /// <summary>The objects in <paramref name="ns"/> as the watch cache holds them, and the revision it is at.</summary>
    public Task<(List<KeyValue> Items, long Revision)> ListCachedAsync(string? ns, CancellationToken cancellationToken) =>
        caches.For(definition).ListAsync(definition.ListPrefix(ns), cancellationToken);

    /// <summary>Every change in <paramref name="ns"/> after <paramref name="since"/>, from the watch cache.</summary>
    public IAsyncEnumerable<WatchEvent> WatchAsync(string? ns, long since, CancellationToken cancellationToken) =>
        caches.For(definition).WatchAsync(definition.ListPrefix(ns), since, cancellationToken);

    /// <summary>The revision below which the store has no history (for a watch's 410 message).</summary>
    public Task<long> CompactedRevisionAsync(CancellationToken cancellationToken) => store.GetCompactedRevisionAsync(cancellationToken);

    /// <summary>A stored version as an object, its resourceVersion set (for resources converted in process).</summary>
    public IKubernetesObject<V1ObjectMeta> Decode(KeyValue kv) => ObjectCodec.Decode(definition, kv);

    /// <summary>A stored version as an object of this resource's version, its resourceVersion set (a conversion webhook may be called).</summary>
    public ValueTask<IKubernetesObject<V1ObjectMeta>> DecodeAsync(KeyValue kv, CancellationToken cancellationToken) => ObjectCodec.DecodeAsync(definition, kv, cancellationToken);

    /// <summary>Stored versions as objects of this resource's version, converted in one call.</summary>
    public ValueTask<List<IKubernetesObject<V1ObjectMeta>>> DecodeAllAsync(IReadOnlyList<KeyValue> kvs, CancellationToken cancellationToken) => ObjectCodec.DecodeAllAsync(definition, kvs, cancellationToken);

    /// <summary>Whether <paramref name="obj"/> matches both selectors.</summary>
    public bool Matches(IKubernetesObject<V1ObjectMeta> obj, LabelSelector labels, FieldSelector fields) =>
        labels.Matches(obj.Metadata.Labels) && fields.Matches(definition.Strategy.SelectableFields(obj));

    /// <summary>A field selector may only use the fields the resource's strategy offers; anything else is a 400.</summary>
    public void CheckFieldSelector(FieldSelector fields)
    {
        if (fields.Terms.Count > 0)
        {
            // The selectable fields are the strategy's; ask it with an empty object of the kind.
            var probe = (IKubernetesObject<V1ObjectMeta>)Activator.CreateInstance(definition.ClrType)!;
            probe.Metadata = new V1ObjectMeta { Name = "", NamespaceProperty = definition.Namespaced ? "" : null };
            fields.CheckSupported(definition.Strategy.SelectableFields(probe).Keys);
        }
    }

    private void ThrowIfInvalid(IKubernetesObject<V1ObjectMeta> obj, IReadOnlyList<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(definition.Kind, definition.Group, obj.Metadata?.Name ?? "", errors);
        }
    }

    private DateTime NowToTheSecond()
    {
        DateTimeOffset t = time.GetUtcNow();
        return new DateTime(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }
}
