using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Admission;

/// <summary>
/// LimitRanger and Priority admission through the real API server, the official client and the real kubectl: defaults
/// given to containers, min/max/ratio refusals worded as Kubernetes words them, pod priority from PriorityClasses.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LimitRangerAndPriorityTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    private static Dictionary<string, ResourceQuantity> Q(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => new ResourceQuantity(v.Value));

    private static V1Pod Pod(string name, V1ResourceRequirements? resources = null, string? priorityClass = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            PriorityClassName = priorityClass,
            Containers = [new V1Container { Name = "app", Image = "busybox:1.35", Resources = resources }],
            InitContainers = [new V1Container { Name = "setup", Image = "busybox:1.35" }],
        },
    };

    private async Task NamespaceAsync(string name) => await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });

    private static async Task<string> RefusedAsync(Func<Task> write)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        using JsonDocument status = JsonDocument.Parse(e.Response.Content);
        return status.RootElement.GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task Containers_get_the_defaults_and_kubectl_shows_them()
    {
        await NamespaceAsync("lr-defaults");
        await Client.CoreV1.CreateNamespacedLimitRangeAsync(new V1LimitRange
        {
            Metadata = new V1ObjectMeta { Name = "defaults" },
            Spec = new V1LimitRangeSpec { Limits = [new V1LimitRangeItem { Type = "Container", DefaultProperty = Q(("cpu", "500m"), ("memory", "128Mi")), DefaultRequest = Q(("cpu", "100m")) }] },
        }, "lr-defaults");

        await Client.CoreV1.CreateNamespacedPodAsync(Pod("p", new V1ResourceRequirements { Limits = Q(("memory", "64Mi")) }), "lr-defaults");

        (int code, string yaml, string err) = await RealKubectl.RunAsync(_host.Server.AdminKubeconfigPath, "get", "pod", "p", "-n", "lr-defaults", "-o", "yaml");
        Assert.True(code == 0, err);
        V1Pod pod = KubernetesYaml.Deserialize<V1Pod>(yaml);
        V1Container app = pod.Spec.Containers[0], setup = pod.Spec.InitContainers[0];
        Assert.Equal("500m", app.Resources.Limits["cpu"].ToString());
        Assert.Equal("64Mi", app.Resources.Limits["memory"].ToString());
        Assert.Equal("100m", app.Resources.Requests["cpu"].ToString());
        // The request defaulted from the pod's own limit before LimitRanger ran.
        Assert.Equal("64Mi", app.Resources.Requests["memory"].ToString());
        Assert.Equal("500m", setup.Resources.Limits["cpu"].ToString());
        Assert.Equal("128Mi", setup.Resources.Requests["memory"].ToString());
        Assert.Equal(
            "LimitRanger plugin set: cpu request for container app; cpu limit for container app; cpu, memory request for init container setup; cpu, memory limit for init container setup",
            pod.Metadata.Annotations["kubernetes.io/limit-ranger"]);
    }

    [Fact]
    public async Task Min_max_and_ratio_refuse_with_Kubernetes_messages()
    {
        await NamespaceAsync("lr-bounds");
        await Client.CoreV1.CreateNamespacedLimitRangeAsync(new V1LimitRange
        {
            Metadata = new V1ObjectMeta { Name = "bounds" },
            Spec = new V1LimitRangeSpec
            {
                Limits =
                [
                    new V1LimitRangeItem { Type = "Container", Max = Q(("cpu", "1")), Min = Q(("cpu", "10m")), MaxLimitRequestRatio = Q(("cpu", "4")) },
                    new V1LimitRangeItem { Type = "Pod", Max = Q(("memory", "1Gi")) },
                    new V1LimitRangeItem { Type = "PersistentVolumeClaim", Max = Q(("storage", "2Gi")) },
                ],
            },
        }, "lr-bounds");

        Assert.Equal(
            "pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("big", new V1ResourceRequirements { Limits = Q(("cpu", "2"), ("memory", "1Gi")) }), "lr-bounds")));
        Assert.Equal(
            "pods \"ratio\" is forbidden: cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("ratio", new V1ResourceRequirements { Requests = Q(("cpu", "100m")), Limits = Q(("cpu", "1"), ("memory", "1Gi")) }), "lr-bounds")));
        Assert.Equal(
            "pods \"nolimit\" is forbidden: maximum memory usage per Pod is 1Gi.  No limit is specified",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("nolimit", new V1ResourceRequirements { Requests = Q(("cpu", "500m")) }), "lr-bounds")));
        Assert.Equal(
            "persistentvolumeclaims \"data\" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
            {
                Metadata = new V1ObjectMeta { Name = "data" },
                Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], Resources = new V1VolumeResourceRequirements { Requests = Q(("storage", "5Gi")) } },
            }, "lr-bounds")));

        // Within bounds: the init container takes the defaults (max, so defaultRequest = max) and the pod fits.
        V1Pod fits = await Client.CoreV1.CreateNamespacedPodAsync(Pod("fits", new V1ResourceRequirements { Requests = Q(("cpu", "500m")), Limits = Q(("cpu", "1"), ("memory", "512Mi")) }), "lr-bounds");
        Assert.Equal("1", fits.Spec.InitContainers[0].Resources.Limits["cpu"].ToString());
    }

    [Fact]
    public async Task Pods_take_their_priority_from_the_class_the_global_default_or_zero()
    {
        await NamespaceAsync("prio");
        V1PriorityClass critical = await Client.SchedulingV1.ReadPriorityClassAsync("system-cluster-critical");
        Assert.Equal(2000000000, critical.Value);
        Assert.Equal(2000001000, (await Client.SchedulingV1.ReadPriorityClassAsync("system-node-critical")).Value);

        V1Pod plain = await Client.CoreV1.CreateNamespacedPodAsync(Pod("plain"), "prio");
        Assert.Equal(0, plain.Spec.Priority);
        Assert.Equal("PreemptLowerPriority", plain.Spec.PreemptionPolicy);
        Assert.Null(plain.Spec.PriorityClassName);

        await Client.SchedulingV1.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "high" }, Value = 1000, PreemptionPolicy = "Never" });
        V1Pod high = await Client.CoreV1.CreateNamespacedPodAsync(Pod("high", priorityClass: "high"), "prio");
        Assert.Equal(1000, high.Spec.Priority);
        Assert.Equal("Never", high.Spec.PreemptionPolicy);

        await Client.SchedulingV1.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "everyone" }, Value = 10, GlobalDefault = true });
        await Eventually(async () => (await Client.CoreV1.CreateNamespacedPodAsync(Pod($"d{Guid.NewGuid():N}"[..8]), "prio")).Spec.Priority == 10, "the global default applies once the cache has it");
        Assert.Equal(
            "priorityclasses.scheduling.k8s.io \"second\" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist",
            await RefusedAsync(() => Client.SchedulingV1.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "second" }, Value = 5, GlobalDefault = true })));

        Assert.Equal(
            "pods \"ghost\" is forbidden: no PriorityClass with name missing was found",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("ghost", priorityClass: "missing"), "prio")));
        V1Pod wrong = Pod("wrong", priorityClass: "high");
        wrong.Spec.Priority = 7;
        Assert.Equal(
            "pods \"wrong\" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(wrong, "prio")));
    }
}
