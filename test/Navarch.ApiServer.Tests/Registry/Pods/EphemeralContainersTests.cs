using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Registry.Pods;

/// <summary>
/// <c>pods/{name}/ephemeralcontainers</c> as <c>kubectl debug</c> uses it: a strategic merge patch of the pod adds an
/// ephemeral container and nothing else; Kubernetes' validation refuses what an ephemeral container may not have,
/// changes and removals, with its causes; the pod's own update and create refuse ephemeral containers; Pod Security
/// checks the added container.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EphemeralContainersTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string StrategicMerge = "application/strategic-merge-patch+json";

    [Fact]
    public async Task A_strategic_merge_patch_adds_an_ephemeral_container_and_changes_nothing_else()
    {
        V1Pod pod = await CreatePodAsync("add");

        // What kubectl debug sends, plus a label and an image change the subresource must ignore.
        (HttpStatusCode code, JsonNode body) = await PatchAsync("add", StrategicMerge, """
            {"metadata":{"labels":{"sneaky":"yes"}},"spec":{"containers":[{"name":"app","image":"busybox:2"}],
             "ephemeralContainers":[{"name":"debugger","image":"busybox:1.35","command":["sh"],"stdin":true,"tty":true,"targetContainerName":"app"}]}}
            """);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("Pod", (string?)body["kind"]);

        V1Pod read = await fixture.Client.CoreV1.ReadNamespacedPodAsync("add", "default");
        V1EphemeralContainer debugger = Assert.Single(read.Spec.EphemeralContainers);
        Assert.Equal(("debugger", "busybox:1.35", "app", true, true), (debugger.Name, debugger.Image, debugger.TargetContainerName, debugger.Stdin, debugger.Tty));
        Assert.Equal(("IfNotPresent", "/dev/termination-log", "File"), (debugger.ImagePullPolicy, debugger.TerminationMessagePath, debugger.TerminationMessagePolicy));
        Assert.Equal("busybox", read.Spec.Containers.Single().Image);
        Assert.False(read.Metadata.Labels?.ContainsKey("sneaky") ?? false);
        Assert.NotEqual(pod.Metadata.ResourceVersion, read.Metadata.ResourceVersion);

        // GET on the subresource shows the pod; the official client's typed call adds a second one.
        V1Pod viaSubresource = await fixture.Client.CoreV1.ReadNamespacedPodEphemeralcontainersAsync("add", "default");
        Assert.Equal("debugger", viaSubresource.Spec.EphemeralContainers.Single().Name);
        V1Pod second = await fixture.Client.CoreV1.PatchNamespacedPodEphemeralcontainersAsync(
            new V1Patch("""{"spec":{"ephemeralContainers":[{"name":"second","image":"busybox:1.35"}]}}""", V1Patch.PatchType.StrategicMergePatch), "add", "default");
        Assert.Equal(["debugger", "second"], second.Spec.EphemeralContainers.Select(c => c.Name));
    }

    [Fact]
    public async Task What_an_ephemeral_container_may_not_have_is_refused_with_Kubernetes_causes()
    {
        await CreatePodAsync("invalid");
        (HttpStatusCode code, JsonNode body) = await PatchAsync("invalid", StrategicMerge, """
            {"spec":{"ephemeralContainers":[{"name":"app","image":"busybox","targetContainerName":"nope",
              "ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"1"}},"restartPolicy":"Always",
              "livenessProbe":{"exec":{"command":["true"]}},"lifecycle":{"preStop":{"exec":{"command":["true"]}}}},
             {"name":"Bad_Name"}]}}
            """);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("Invalid", (string?)body["reason"]);
        string[] causes = [.. body["details"]!["causes"]!.AsArray().Select(c => $"{c!["reason"]} {c["field"]}: {c["message"]}")];
        const string Forbidden = "Forbidden: cannot be set for an Ephemeral Container";
        Assert.Equal(
            [
                "FieldValueDuplicate spec.ephemeralContainers[0].name: Duplicate value: \"app\"",
                "FieldValueNotFound spec.ephemeralContainers[0].targetContainerName: Not found: \"nope\"",
                $"FieldValueForbidden spec.ephemeralContainers[0].ports: {Forbidden}",
                $"FieldValueForbidden spec.ephemeralContainers[0].resources: {Forbidden}",
                $"FieldValueForbidden spec.ephemeralContainers[0].restartPolicy: {Forbidden}",
                $"FieldValueForbidden spec.ephemeralContainers[0].livenessProbe: {Forbidden}",
                $"FieldValueForbidden spec.ephemeralContainers[0].lifecycle: {Forbidden}",
                "FieldValueInvalid spec.ephemeralContainers[1].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "FieldValueRequired spec.ephemeralContainers[1].image: Required value",
            ],
            causes);
        Assert.StartsWith("Pod \"invalid\" is invalid: [spec.ephemeralContainers[0].name: Duplicate value: \"app\", ", (string?)body["message"], StringComparison.Ordinal);
        Assert.Null((await fixture.Client.CoreV1.ReadNamespacedPodAsync("invalid", "default")).Spec.EphemeralContainers);
    }

    [Fact]
    public async Task Ephemeral_containers_may_be_added_but_never_changed_or_removed()
    {
        await CreatePodAsync("fixed");
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync("fixed", StrategicMerge, """{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox"}]}}""")).Code);

        (HttpStatusCode changed, JsonNode changeBody) = await PatchAsync("fixed", "application/json-patch+json", """[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"busybox:2"}]""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed);
        JsonNode change = changeBody["details"]!["causes"]!.AsArray().Single()!;
        Assert.Equal(("FieldValueForbidden", "spec.ephemeralContainers"), ((string?)change["reason"], (string?)change["field"]));
        Assert.StartsWith("Forbidden: existing ephemeral containers \"debugger\" may not be changed\n", (string?)change["message"], StringComparison.Ordinal);

        (HttpStatusCode removed, JsonNode removeBody) = await PatchAsync("fixed", "application/json-patch+json", """[{"op":"remove","path":"/spec/ephemeralContainers/0"}]""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, removed);
        Assert.Equal("Forbidden: existing ephemeral containers \"debugger\" may not be removed\n", (string?)removeBody["details"]!["causes"]![0]!["message"]);

        // A PUT of the pod as read back (the existing container unchanged, a new one added) is accepted.
        V1Pod pod = await fixture.Client.CoreV1.ReadNamespacedPodAsync("fixed", "default");
        pod.Spec.EphemeralContainers.Add(new V1EphemeralContainer { Name = "more", Image = "busybox" });
        V1Pod replaced = await fixture.Client.CoreV1.ReplaceNamespacedPodEphemeralcontainersAsync(pod, "fixed", "default");
        Assert.Equal(["debugger", "more"], replaced.Spec.EphemeralContainers.Select(c => c.Name));
    }

    [Fact]
    public async Task The_pod_itself_refuses_ephemeral_containers_on_create_and_update()
    {
        var withEphemeral = Pod("create-with");
        withEphemeral.Spec.EphemeralContainers = [new V1EphemeralContainer { Name = "debugger", Image = "busybox" }];
        HttpOperationException create = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.CoreV1.CreateNamespacedPodAsync(withEphemeral, "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, create.Response.StatusCode);
        Assert.Contains("spec.ephemeralContainers: Forbidden: cannot be set on create", create.Response.Content, StringComparison.Ordinal);

        await CreatePodAsync("update");
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri("/api/v1/namespaces/default/pods/update", UriKind.Relative))
        {
            Content = new StringContent("""{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox"}]}}""", Encoding.UTF8, MediaTypeHeaderValue.Parse(StrategicMerge)),
        };
        using HttpResponseMessage update = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, update.StatusCode);
        Assert.Contains("spec: Forbidden: pod updates may not change fields other than", await update.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_template_may_not_have_ephemeral_containers()
    {
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "templated" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "t" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "t" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "busybox" }], EphemeralContainers = [new V1EphemeralContainer { Name = "debugger", Image = "busybox" }] },
                },
            },
        };
        HttpOperationException refused = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Contains("spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template", refused.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_lists_the_subresource_and_Pod_Security_checks_the_added_container()
    {
        JsonNode core = JsonNode.Parse(await fixture.Http.GetStringAsync(new Uri("/api/v1", UriKind.Relative)))!;
        JsonNode entry = core["resources"]!.AsArray().Single(r => (string?)r!["name"] == "pods/ephemeralcontainers")!;
        Assert.Equal("Pod", (string?)entry["kind"]);
        Assert.Equal(["get", "patch", "update"], entry["verbs"]!.AsArray().Select(v => (string)v!).Order(StringComparer.Ordinal));

        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = "baseline-ns", Labels = new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "baseline" } },
        });
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(Pod("guarded"), "baseline-ns");
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri("/api/v1/namespaces/baseline-ns/pods/guarded/ephemeralcontainers", UriKind.Relative))
        {
            Content = new StringContent("""{"spec":{"ephemeralContainers":[{"name":"root","image":"busybox","securityContext":{"privileged":true}}]}}""", Encoding.UTF8, MediaTypeHeaderValue.Parse(StrategicMerge)),
        };
        using HttpResponseMessage refused = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        string message = (string)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["message"]!;
        Assert.Equal("pods \"guarded\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"root\" must not set securityContext.privileged=true)", message);
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "busybox" }] },
    };

    private Task<V1Pod> CreatePodAsync(string name) => fixture.Client.CoreV1.CreateNamespacedPodAsync(Pod(name), "default");

    private async Task<(HttpStatusCode Code, JsonNode Body)> PatchAsync(string pod, string contentType, string patch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri($"/api/v1/namespaces/default/pods/{pod}/ephemeralcontainers", UriKind.Relative))
        {
            Content = new StringContent(patch, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)),
        };
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
