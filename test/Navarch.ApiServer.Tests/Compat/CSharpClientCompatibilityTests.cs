using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Compat;

/// <summary>
/// The scenarios of test/compat with the official C# client (KubernetesClient), unchanged: what it sends and how it
/// reads the answers (typed results, HttpOperationException with kube-apiserver's Status) against a real server.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CSharpClientCompatibilityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private Kubernetes Client => fixture.Client;

    private async Task<string> NamespaceAsync(string scenario)
    {
        string name = $"cs-{scenario}-{Guid.NewGuid().ToString("N")[..6]}";
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    private static V1Deployment Deployment(string name, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = containers.Length > 0 ? containers : [new V1Container { Name = "web", Image = "nginx:1.25" }] },
            },
        },
    };

    /// <summary>The call fails with the client's HttpOperationException carrying kube-apiserver's Status.</summary>
    private static async Task<V1Status> FailsWithAsync(Func<Task> call, HttpStatusCode code, string reason)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(code, e.Response.StatusCode);
        V1Status status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal(("Status", (int)code, reason), (status.Kind, status.Code ?? 0, status.Reason));
        return status;
    }

    [Fact]
    public async Task Create_get_list_replace_and_delete()
    {
        string ns = await NamespaceAsync("crud");
        V1ConfigMap created = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["color"] = "blue" } }, ns);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        V1ConfigMap read = await Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.Contains((await Client.CoreV1.ListNamespacedConfigMapAsync(ns)).Items, c => c.Metadata.Name == "settings");

        read.Data["color"] = "green";
        V1ConfigMap replaced = await Client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "settings", ns);
        Assert.Equal("green", replaced.Data["color"]);
        read.Data["color"] = "red";
        await FailsWithAsync(() => Client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "settings", ns), HttpStatusCode.Conflict, "Conflict");

        // A ConfigMap's delete answers a Success Status naming the resource; a Service's answers the Service.
        V1Status deleted = await Client.CoreV1.DeleteNamespacedConfigMapAsync("settings", ns);
        Assert.Equal(("Status", "Success", "settings", "configmaps", created.Metadata.Uid), (deleted.Kind, deleted.Status, deleted.Details.Name, deleted.Details.Kind, deleted.Details.Uid));
        V1Status notFound = await FailsWithAsync(() => Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns), HttpStatusCode.NotFound, "NotFound");
        Assert.Equal("configmaps \"settings\" not found", notFound.Message);

        V1Service service = await Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "web" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, ns);
        Assert.NotNull(service.Status?.LoadBalancer);
        using HttpOperationResponse<V1Service> serviceDeleted = await Client.CoreV1.DeleteNamespacedServiceWithHttpMessagesAsync("web", ns);
        Assert.Equal(("Service", "web"), (serviceDeleted.Body.Kind, serviceDeleted.Body.Metadata.Name));

        // A Deployment created without a status reads back with an empty one, as Go writes it.
        V1Deployment deployment = await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), ns);
        Assert.NotNull(deployment.Status);
        Assert.Equal("RollingUpdate", deployment.Spec.Strategy.Type);

        // The client asks for /version/ with a trailing slash.
        VersionInfo version = await Client.Version.GetCodeAsync();
        Assert.Equal("1", version.Major);
        Assert.StartsWith("v1.", version.GitVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_patch_types_and_server_side_apply()
    {
        string ns = await NamespaceAsync("patch");
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", new V1Container { Name = "web", Image = "nginx:1.25" }, new V1Container { Name = "sidecar", Image = "busybox:1.35" }), ns);

        V1Deployment smp = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", ns);
        Assert.Equal(["nginx:1.26", "busybox:1.35"], smp.Spec.Template.Spec.Containers.Select(c => c.Image));

        V1Deployment jp = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""[{"op":"replace","path":"/spec/replicas","value":2}]""", V1Patch.PatchType.JsonPatch), "web", ns);
        Assert.Equal(2, jp.Spec.Replicas);

        V1Deployment mp = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}""", V1Patch.PatchType.MergePatch), "web", ns);
        Assert.Equal(["web"], mp.Spec.Template.Spec.Containers.Select(c => c.Name));

        var apply = new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"a":"1","b":"2"}}""", V1Patch.PatchType.ApplyPatch);
        V1ConfigMap applied = await Client.CoreV1.PatchNamespacedConfigMapAsync(apply, "applied", ns, fieldManager: "alice");
        Assert.Equal(("alice", "Apply"), (applied.Metadata.ManagedFields.Single().Manager, applied.Metadata.ManagedFields.Single().Operation));

        var bobs = new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"a":"9"}}""", V1Patch.PatchType.ApplyPatch);
        V1Status conflict = await FailsWithAsync(() => Client.CoreV1.PatchNamespacedConfigMapAsync(bobs, "applied", ns, fieldManager: "bob"), HttpStatusCode.Conflict, "Conflict");
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .data.a", conflict.Message);
        Assert.Equal(("FieldManagerConflict", ".data.a"), (conflict.Details.Causes.Single().Reason, conflict.Details.Causes.Single().Field));
        V1ConfigMap forced = await Client.CoreV1.PatchNamespacedConfigMapAsync(bobs, "applied", ns, fieldManager: "bob", force: true);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "9", ["b"] = "2" }, forced.Data);

        V1Deployment dry = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"replicas":5}}""", V1Patch.PatchType.MergePatch), "web", ns, dryRun: "All");
        Assert.Equal(5, dry.Spec.Replicas);
        Assert.Equal(2, (await Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Replicas);
    }

    [Fact]
    public async Task A_watch_from_a_resource_version_with_a_selector_and_a_bookmark_before_its_timeout()
    {
        string ns = await NamespaceAsync("watch");
        string rv = (await Client.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion;
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "other", Labels = new Dictionary<string, string> { ["w"] = "no" } } }, ns);
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "seen", Labels = new Dictionary<string, string> { ["w"] = "yes" } } }, ns);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("seen", ns);

        var events = new List<(WatchEventType Type, string Name)>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await foreach ((WatchEventType type, V1ConfigMap item) in Client.CoreV1.WatchListNamespacedConfigMapAsync(ns, allowWatchBookmarks: true, labelSelector: "w=yes", resourceVersion: rv, timeoutSeconds: 4))
        {
            events.Add((type, item.Metadata.Name));
        }

        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9));
        Assert.Equal([(WatchEventType.Added, "seen"), (WatchEventType.Deleted, "seen")], events.Where(e => e.Type != WatchEventType.Bookmark));
        Assert.Equal(WatchEventType.Bookmark, events[^1].Type);
    }

    [Fact]
    public async Task Selectors_and_pages()
    {
        string ns = await NamespaceAsync("list");
        for (int i = 0; i < 5; i++)
        {
            await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"cm-{i}", Labels = new Dictionary<string, string> { ["even"] = (i % 2 == 0).ToString().ToLowerInvariant() } } }, ns);
        }

        Assert.Equal(["cm-0", "cm-2", "cm-4"], (await Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "even in (true)")).Items.Select(c => c.Metadata.Name));
        V1ConfigMapList first = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2);
        Assert.Equal(3, first.Metadata.RemainingItemCount);
        var names = first.Items.Select(c => c.Metadata.Name).ToList();
        for (V1ConfigMapList page = first; page.Metadata.ContinueProperty is { } token;)
        {
            page = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: token);
            names.AddRange(page.Items.Select(c => c.Metadata.Name));
        }

        Assert.Equal(["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"], names);
        await FailsWithAsync(() => Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "even in true"), HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task The_status_subresource()
    {
        string ns = await NamespaceAsync("status");
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), ns);
        V1Deployment current = await Client.AppsV1.ReadNamespacedDeploymentStatusAsync("web", ns);
        current.Status = new V1DeploymentStatus { Replicas = 1, ReadyReplicas = 1 };
        current.Spec.Replicas = 5;
        V1Deployment replaced = await Client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(current, "web", ns);
        Assert.Equal((1, 1), (replaced.Status.ReadyReplicas, replaced.Spec.Replicas));
        V1Deployment patched = await Client.AppsV1.PatchNamespacedDeploymentStatusAsync(new V1Patch("""{"status":{"availableReplicas":1}}""", V1Patch.PatchType.MergePatch), "web", ns);
        Assert.Equal((1, 1), (patched.Status.AvailableReplicas, patched.Status.ReadyReplicas));
    }

    [Fact]
    public async Task Errors_are_the_clients_exception_with_kube_apiservers_status()
    {
        string ns = await NamespaceAsync("errors");
        V1Status missing = await FailsWithAsync(() => Client.AppsV1.ReadNamespacedDeploymentAsync("nope", ns), HttpStatusCode.NotFound, "NotFound");
        Assert.Equal(("deployments.apps \"nope\" not found", "apps", "deployments", "nope"), (missing.Message, missing.Details.Group, missing.Details.Kind, missing.Details.Name));
        V1Status invalid = await FailsWithAsync(() => Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "Bad_Name" } }, ns), HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Equal(("metadata.name", "FieldValueInvalid"), (invalid.Details.Causes[0].Field, invalid.Details.Causes[0].Reason));
        await FailsWithAsync(() => Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns, dryRun: "Bogus"), HttpStatusCode.UnprocessableEntity, "Invalid");
    }

    [Fact]
    public async Task Statuses_carry_no_empty_fields()
    {
        // As Go's encoder writes metav1.Status: its fields in order, and omitempty — a core resource's NotFound has no
        // "group", a BadRequest no "details".
        using HttpResponseMessage notFound = await fixture.Http.GetAsync(new Uri("/api/v1/namespaces/default/configmaps/nope", UriKind.Relative));
        using JsonDocument body = JsonDocument.Parse(await notFound.Content.ReadAsStringAsync());
        Assert.Equal("""{"name":"nope","kind":"configmaps"}""", body.RootElement.GetProperty("details").GetRawText());
        Assert.Equal(["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"], body.RootElement.EnumerateObject().Select(p => p.Name));
        using HttpResponseMessage badRequest = await fixture.Http.GetAsync(new Uri("/api/v1/namespaces/default/configmaps?labelSelector=a+in+b", UriKind.Relative));
        using JsonDocument bad = JsonDocument.Parse(await badRequest.Content.ReadAsStringAsync());
        Assert.False(bad.RootElement.TryGetProperty("details", out _));
        Assert.Equal(400, bad.RootElement.GetProperty("code").GetInt32());
    }
}
