using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Admission;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;
using Navarch.ApiServer.Registry.Pods;
using Navarch.Storage;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>The generic registry store over a real SQLite store: writes through GuaranteedUpdate, finalizers, hooks, dry run.</summary>
[Trait("Category", "Integration")]
public sealed class GenericStoreTests
{
    private const string ConfigMapKey = "/registry/configmaps/default/cm";

    [Fact]
    public async Task A_patch_that_loses_a_race_is_applied_again_to_the_fresh_object()
    {
        RivalWriterStore? rival = null;
        await using RegistryHarness harness = await RegistryHarness.StartAsync(store => rival = new RivalWriterStore(store, ConfigMapKey, LabelAsync));
        GenericStore configMaps = harness.Stores.For("", "v1", "configmaps");
        await configMaps.CreateAsync(ConfigMap(), dryRun: false, CancellationToken.None);

        var patched = (V1ConfigMap)await configMaps.PatchAsync(Request("PATCH", "/api/v1/namespaces/default/configmaps/cm", configMaps), new PatchBody("application/merge-patch+json", JsonNode.Parse("""{"data":{"b":"2"}}""")!), UpdateKind.Resource, CancellationToken.None);

        Assert.True(rival!.Raced);
        Assert.Equal("yes", patched.Metadata.Labels["rival"]);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, patched.Data);
    }

    [Fact]
    public async Task A_put_that_loses_a_race_is_a_conflict_not_written_over_the_other_change()
    {
        RivalWriterStore? rival = null;
        await using RegistryHarness harness = await RegistryHarness.StartAsync(store => rival = new RivalWriterStore(store, ConfigMapKey, LabelAsync));
        GenericStore configMaps = harness.Stores.For("", "v1", "configmaps");
        await configMaps.CreateAsync(ConfigMap(), dryRun: false, CancellationToken.None);
        JsonNode body = ObjectCodec.ToNode(ConfigMap(data: "changed"));

        StatusException e = await Assert.ThrowsAsync<StatusException>(() => configMaps.ReplaceAsync(Request("PUT", "/api/v1/namespaces/default/configmaps/cm", configMaps), body, UpdateKind.Resource, CancellationToken.None));

        Assert.True(rival!.Raced);
        Assert.Equal(409, e.Status.Code);
        var stored = (V1ConfigMap)await configMaps.GetAsync("default", "cm", CancellationToken.None);
        Assert.Equal(("yes", "1"), (stored.Metadata.Labels["rival"], stored.Data["a"]));
    }

    [Fact]
    public async Task A_delete_that_loses_a_race_is_made_again()
    {
        RivalWriterStore? rival = null;
        await using RegistryHarness harness = await RegistryHarness.StartAsync(store => rival = new RivalWriterStore(store, ConfigMapKey, LabelAsync));
        GenericStore configMaps = harness.Stores.For("", "v1", "configmaps");
        await configMaps.CreateAsync(ConfigMap(), dryRun: false, CancellationToken.None);

        DeletedObject deleted = await configMaps.DeleteAsync("default", "cm", new V1DeleteOptions(), dryRun: false, CancellationToken.None);

        Assert.True(rival!.Raced);
        Assert.True(deleted.Removed);
        Assert.Equal("yes", deleted.Object.Metadata.Labels["rival"]);
        Assert.Null(await harness.Store.GetAsync(ConfigMapKey));
    }

    [Fact]
    public async Task A_finalized_service_stays_until_its_last_finalizer_goes_and_then_releases_its_address()
    {
        await using RegistryHarness harness = await RegistryHarness.StartAsync();
        GenericStore services = harness.Stores.For("", "v1", "services");
        V1Service web = Service("web", "10.43.0.50");
        web.Metadata.Finalizers = ["example.com/hold"];
        await services.CreateAsync(web, dryRun: false, CancellationToken.None);

        DeletedObject deleting = await services.DeleteAsync("default", "web", new V1DeleteOptions(), dryRun: false, CancellationToken.None);
        Assert.False(deleting.Removed);
        Assert.NotNull(deleting.Object.Metadata.DeletionTimestamp);
        Assert.NotNull(await services.GetAsync("default", "web", CancellationToken.None));

        await services.UpdateAsync("default", "web", null, UpdateKind.Resource, dryRun: false, old =>
        {
            var released = (V1Service)ObjectCodec.Clone(services.Definition, old);
            released.Metadata.Finalizers = [];
            return released;
        }, CancellationToken.None);

        StatusException gone = await Assert.ThrowsAsync<StatusException>(() => services.GetAsync("default", "web", CancellationToken.None));
        Assert.Equal(404, gone.Status.Code);
        var again = (V1Service)await services.CreateAsync(Service("web2", "10.43.0.50"), dryRun: false, CancellationToken.None);
        Assert.Equal("10.43.0.50", again.Spec.ClusterIP);
    }

    [Fact]
    public async Task A_dry_run_create_keeps_no_address_and_writes_nothing()
    {
        await using RegistryHarness harness = await RegistryHarness.StartAsync();
        GenericStore services = harness.Stores.For("", "v1", "services");

        var tried = (V1Service)await services.CreateAsync(Service("web", "10.43.0.60"), dryRun: true, CancellationToken.None);

        Assert.Equal("10.43.0.60", tried.Spec.ClusterIP);
        Assert.Null(await harness.Store.GetAsync("/registry/services/specs/default/web"));
        await services.CreateAsync(Service("other", "10.43.0.60"), dryRun: false, CancellationToken.None);
        StatusException taken = await Assert.ThrowsAsync<StatusException>(() => services.CreateAsync(Service("third", "10.43.0.60"), dryRun: false, CancellationToken.None));
        Assert.Contains("provided IP is already allocated", taken.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binding_goes_through_admission_and_assigns_a_pod_once()
    {
        var admitted = new List<AdmissionRequest>();
        await using RegistryHarness harness = await RegistryHarness.StartAsync(admission: new RecordingAdmission(admitted));
        GenericStore pods = harness.Stores.For("", "v1", "pods");
        await pods.CreateAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, dryRun: false, CancellationToken.None);
        var binding = new BindingRest(TimeProvider.System);
        RestRequest request = Request("POST", "/api/v1/namespaces/default/pods/p/binding", pods);
        JsonNode body = JsonNode.Parse("""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n1"}}""")!;

        var status = (V1Status)await binding.CreateAsync(request, body, CancellationToken.None);

        Assert.Equal(201, status.Code);
        var bound = (V1Pod)await pods.GetAsync("default", "p", CancellationToken.None);
        Assert.Equal("n1", bound.Spec.NodeName);
        Assert.Contains(bound.Status.Conditions, c => c.Type == "PodScheduled" && c.Status == "True");
        AdmissionRequest admittedBinding = Assert.Single(admitted, a => a.Operation == AdmissionOperation.Update);
        Assert.Equal(("binding", "n1"), (admittedBinding.Subresource, ((V1Pod)admittedBinding.Object!).Spec.NodeName));

        StatusException again = await Assert.ThrowsAsync<StatusException>(() => binding.CreateAsync(request, body, CancellationToken.None));
        Assert.Equal((409, "Operation cannot be fulfilled on pods \"p\": pod p is already assigned to node \"n1\""), (again.Status.Code, again.Status.Message));
    }

    private static async Task LabelAsync(IStore store)
    {
        ResourceDefinition configMaps = Api.Resources.ResourceCatalog.Default.Find("", "v1", "configmaps")!;
        KeyValue current = (await store.GetAsync(ConfigMapKey))!;
        IKubernetesObject<V1ObjectMeta> obj = ObjectCodec.Decode(configMaps, current);
        obj.Metadata.Labels = new Dictionary<string, string> { ["rival"] = "yes" };
        await store.UpdateAsync(ConfigMapKey, ObjectCodec.Encode(configMaps, obj), current.ModRevision);
    }

    private static V1ConfigMap ConfigMap(string data = "1") => new()
    {
        Metadata = new V1ObjectMeta { Name = "cm", NamespaceProperty = "default" },
        Data = new Dictionary<string, string> { ["a"] = data },
    };

    private static V1Service Service(string name, string clusterIp) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ServiceSpec { ClusterIP = clusterIp, Ports = [new V1ServicePort { Port = 80 }] },
    };

    private static RestRequest Request(string method, string path, GenericStore store) =>
        new(RequestInfoFactory.Parse(method, path, QueryCollection.Empty), store, (definition, body) => ObjectCodec.FromNode(definition, body, strict: false), new UserInfo("admin", "", ["system:masters", "system:authenticated"]));

    private sealed class RecordingAdmission(List<AdmissionRequest> admitted) : IAdmissionPlugin
    {
        public string Name => "Recording";

        public bool Mutating => false;

        public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
        {
            admitted.Add(request);
            return ValueTask.CompletedTask;
        }
    }
}
