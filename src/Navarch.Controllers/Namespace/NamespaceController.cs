using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers.Namespace;

/// <summary>
/// Deletes everything in a namespace that is being deleted, then removes the <c>kubernetes</c> finalizer through
/// <c>/finalize</c> so the namespace goes. It finds what to delete through discovery (every namespaced resource that
/// supports deletecollection), as kube-controller-manager's namespace controller does, and checks again until
/// nothing is left (pods on nodes wait for their kubelets).
/// </summary>
public sealed class NamespaceController : IController, IResourceEventHandler<V1Namespace>
{
    private const string Finalizer = "kubernetes";
    private readonly Informer<V1Namespace> _namespaces;
    private readonly RawApi _api;
    private readonly WorkQueue<string> _queue;
    private readonly ILogger _logger;

    /// <summary>Creates the controller over the shared namespace informer.</summary>
    public NamespaceController(SharedInformerFactory informers, RawApi api, TimeProvider time, ILogger<NamespaceController> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _namespaces = informers.Get<V1Namespace>();
        _namespaces.AddHandler(this);
        _api = api;
        _queue = new WorkQueue<string>(time);
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name => "namespace";

    /// <inheritdoc />
    public void Dispose() => _queue.Dispose();

    /// <inheritdoc />
    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        ControllerLoop.RunAsync(Name, _queue, workers, SyncAsync, _logger, cancellationToken);

    void IResourceEventHandler<V1Namespace>.OnAdd(V1Namespace obj) => Enqueue(obj);

    void IResourceEventHandler<V1Namespace>.OnUpdate(V1Namespace oldObj, V1Namespace newObj) => Enqueue(newObj);

    void IResourceEventHandler<V1Namespace>.OnDelete(V1Namespace lastKnown, bool finalStateUnknown)
    {
    }

    private void Enqueue(V1Namespace ns)
    {
        if (ns.Metadata.DeletionTimestamp is not null)
        {
            _queue.Add(ns.Metadata.Name);
        }
    }

    private async Task SyncAsync(string name, CancellationToken cancellationToken)
    {
        V1Namespace? ns = _namespaces.Store.Get(name);
        if (ns?.Metadata.DeletionTimestamp is null || ns.Spec?.Finalizers?.Contains(Finalizer) != true)
        {
            return;
        }

        int remaining = 0;
        foreach (string collection in await NamespacedCollectionsAsync(name, cancellationToken))
        {
            using (HttpResponseMessage deleted = await _api.SendAsync(HttpMethod.Delete, collection, "{\"propagationPolicy\":\"Background\"}", cancellationToken: cancellationToken))
            {
                if (deleted.StatusCode is not (System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.MethodNotAllowed))
                {
                    await RawApi.EnsureSuccessAsync(deleted, cancellationToken);
                }
            }

            using JsonDocument left = await _api.GetJsonAsync(collection + "?limit=1", cancellationToken);
            remaining += left.RootElement.GetProperty("items").GetArrayLength();
        }

        if (remaining > 0)
        {
            // Graceful deletions (pods on nodes) and finalizers take their time: look again shortly.
            _queue.AddAfter(name, TimeSpan.FromSeconds(2));
            return;
        }

        var body = (JsonObject)JsonSerializer.SerializeToNode(ns, Navarch.Api.KubernetesSerialization.Options)!;
        body["spec"] = new JsonObject { ["finalizers"] = new JsonArray(ns.Spec.Finalizers.Where(f => f != Finalizer).Select(f => (JsonNode)f).ToArray()) };
        using HttpResponseMessage finalized = await _api.SendAsync(HttpMethod.Put, $"/api/v1/namespaces/{name}/finalize", body.ToJsonString(), cancellationToken: cancellationToken);
        if (finalized.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            await RawApi.EnsureSuccessAsync(finalized, cancellationToken);
        }
    }

    /// <summary>The collection path in <paramref name="ns"/> of every namespaced resource that can be deleted as a collection.</summary>
    private async Task<List<string>> NamespacedCollectionsAsync(string ns, CancellationToken cancellationToken)
    {
        var groupVersions = new List<string> { "/api/v1" };
        using (JsonDocument groups = await _api.GetJsonAsync("/apis", cancellationToken))
        {
            foreach (JsonElement g in groups.RootElement.GetProperty("groups").EnumerateArray())
            {
                groupVersions.Add("/apis/" + g.GetProperty("preferredVersion").GetProperty("groupVersion").GetString());
            }
        }

        var collections = new List<string>();
        foreach (string gv in groupVersions)
        {
            using JsonDocument resources = await _api.GetJsonAsync(gv, cancellationToken);
            foreach (JsonElement r in resources.RootElement.GetProperty("resources").EnumerateArray())
            {
                string plural = r.GetProperty("name").GetString()!;
                bool namespaced = r.GetProperty("namespaced").GetBoolean();
                var verbs = r.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()).ToHashSet();
                if (namespaced && !plural.Contains('/', StringComparison.Ordinal) && verbs.Contains("deletecollection") && verbs.Contains("list"))
                {
                    collections.Add($"{gv}/namespaces/{ns}/{plural}");
                }
            }
        }

        return collections;
    }
}
