using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Admission;

/// <summary>RuntimeClass (node.k8s.io/v1) served and admitted through the real API server and kubectl.</summary>
[Trait("Category", "Integration")]
public sealed class RuntimeClassAdmissionTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    private static V1Pod Pod(string name, string runtimeClass, Dictionary<string, string>? nodeSelector = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { RuntimeClassName = runtimeClass, NodeSelector = nodeSelector, Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
    };

    private static async Task<HttpOperationException> FailsAsync(Func<Task> write, HttpStatusCode code)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.Equal(code, e.Response.StatusCode);
        return e;
    }

    private static string Message(HttpOperationException e)
    {
        using JsonDocument status = JsonDocument.Parse(e.Response.Content);
        return status.RootElement.GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task A_pod_gets_its_class_overhead_node_selector_and_tolerations_and_an_unknown_class_is_refused()
    {
        await Client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass
        {
            Metadata = new V1ObjectMeta { Name = "sandboxed" },
            Handler = "runc",
            Overhead = new V1Overhead { PodFixed = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("64Mi") } },
            Scheduling = new V1Scheduling
            {
                NodeSelector = new Dictionary<string, string> { ["runtime"] = "sandboxed" },
                Tolerations = [new V1Toleration { Key = "sandbox", OperatorProperty = "Exists", Effect = "NoSchedule" }],
            },
        });

        V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "sandboxed"), "default");
        Assert.Equal("250m", pod.Spec.Overhead["cpu"].ToString());
        Assert.Equal("64Mi", pod.Spec.Overhead["memory"].ToString());
        Assert.Equal("sandboxed", pod.Spec.NodeSelector["runtime"]);
        Assert.Contains(pod.Spec.Tolerations, t => t.Key == "sandbox" && t.Effect == "NoSchedule");

        Assert.Equal(
            "pods \"ghost\" is forbidden: pod rejected: RuntimeClass \"missing\" not found",
            Message(await FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("ghost", "missing"), "default"), HttpStatusCode.Forbidden)));
        Assert.Contains(
            "conflict: runtimeClass.scheduling.nodeSelector[runtime] = sandboxed; pod.spec.nodeSelector[runtime] = other",
            Message(await FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("clash", "sandboxed", new() { ["runtime"] = "other" }), "default"), HttpStatusCode.Forbidden)),
            StringComparison.Ordinal);

        // The handler is a DNS label, fixed once created; kubectl lists the class with its handler.
        await FailsAsync(() => Client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "bad" }, Handler = "Not_A_Label" }), HttpStatusCode.UnprocessableEntity);
        V1RuntimeClass stored = await Client.NodeV1.ReadRuntimeClassAsync("sandboxed");
        stored.Handler = "crun";
        await FailsAsync(() => Client.NodeV1.ReplaceRuntimeClassAsync(stored, "sandboxed"), HttpStatusCode.UnprocessableEntity);
        (int code, string table, string err) = await RealKubectl.RunAsync(_host.Server.AdminKubeconfigPath, "get", "runtimeclass");
        Assert.True(code == 0, err);
        Assert.Matches(@"NAME\s+HANDLER\s+AGE", table);
        Assert.Matches(@"sandboxed\s+runc", table);
    }
}
