using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Client;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Namespace;

/// <summary>
/// Deletes everything in a namespace that is being deleted, then removes the <c>kubernetes</c> finalizer through
/// <c>/finalize</c> so the namespace goes. It finds what to delete through discovery (every namespaced resource that
/// supports deletecollection), as kube-controller-manager's namespace controller does, and checks again until
/// nothing is left (pods on nodes wait for their kubelets).
/// </summary>
public sealed class NamespaceController : QueueController
{
    private const string Finalizer = "kubernetes";
    private readonly Informer<V1Namespace> _namespaces;
    private readonly RawApi _api;

    /// <summary>Creates the controller over the shared namespace informer.</summary>
    public NamespaceController(ControllerContext context)
        : base("namespace", context)
    {
        _namespaces = context.Informers.Get<V1Namespace>();
        _namespaces.AddHandler(new ResourceEventHandler<V1Namespace> { AddFunc = EnqueueDeleting, UpdateFunc = (_, ns) => EnqueueDeleting(ns) });
        _api = context.Api;
    }

    private void EnqueueDeleting(V1Namespace ns)
    {
        if (ns.Metadata.DeletionTimestamp is not null)
        {
            Queue.Add(ns.Metadata.Name);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        string name = key;
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
            Queue.AddAfter(name, TimeSpan.FromSeconds(2));
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
