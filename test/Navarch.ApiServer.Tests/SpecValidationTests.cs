using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// What validation and defaulting mean through the server: updates checked against the stored object, stringData
/// never stored, admission defaults. Each kind's rules on their own are tested beside its strategy in
/// Navarch.Api.Machinery.Tests/Strategies.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SpecValidationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly Kubernetes _client = fixture.Client;

    private static async Task AssertInvalid(Func<Task> create, string field, string detail)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(create);
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        using var status = JsonDocument.Parse(e.Response.Content);
        JsonElement[] causes = [.. status.RootElement.GetProperty("details").GetProperty("causes").EnumerateArray()];
        Assert.Contains(causes, c => c.GetProperty("field").GetString() == field && c.GetProperty("message").GetString()!.Contains(detail, StringComparison.Ordinal));
    }

    private static V1ObjectMeta Meta(string name) => new() { Name = name };

    [Fact]
    public async Task Jobs_and_stateful_sets_keep_their_fixed_fields()
    {
        V1PodTemplateSpec Template() => new()
        {
            Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "main", Image = "busybox:1.35" }] },
        };
        V1Job job = await _client.BatchV1.CreateNamespacedJobAsync(new V1Job { Metadata = Meta("fixed-job"), Spec = new V1JobSpec { Suspend = true, Template = Template() } }, "default");

        // A suspended Job that never started may change its pods' scheduling directives, not the rest of the template.
        job.Spec.Template.Spec.NodeSelector = new Dictionary<string, string> { ["zone"] = "a" };
        job = await _client.BatchV1.ReplaceNamespacedJobAsync(job, "fixed-job", "default");
        Assert.Equal("a", job.Spec.Template.Spec.NodeSelector["zone"]);
        job.Spec.Template.Spec.Containers[0].Image = "busybox:1.36";
        await AssertInvalid(() => _client.BatchV1.ReplaceNamespacedJobAsync(job, "fixed-job", "default"), "spec.template", "field is immutable");
        job = await _client.BatchV1.ReadNamespacedJobAsync("fixed-job", "default");
        job.Spec.Completions = 3;
        await AssertInvalid(() => _client.BatchV1.ReplaceNamespacedJobAsync(job, "fixed-job", "default"), "spec.completions", "field is immutable");
        await _client.BatchV1.DeleteNamespacedJobAsync("fixed-job", "default");

        var labels = new Dictionary<string, string> { ["app"] = "fixed" };
        V1PodTemplateSpec podTemplate = Template();
        podTemplate.Metadata = new V1ObjectMeta { Labels = labels };
        podTemplate.Spec.RestartPolicy = "Always";
        V1StatefulSet set = await _client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = Meta("fixed-set"),
            Spec = new V1StatefulSetSpec { ServiceName = "fixed", Selector = new V1LabelSelector { MatchLabels = labels }, Template = podTemplate },
        }, "default");
        set.Spec.Replicas = 3;
        set = await _client.AppsV1.ReplaceNamespacedStatefulSetAsync(set, "fixed-set", "default");
        set.Spec.ServiceName = "other";
        await AssertInvalid(() => _client.AppsV1.ReplaceNamespacedStatefulSetAsync(set, "fixed-set", "default"), "spec", "updates to statefulset spec for fields other than");
        await _client.AppsV1.DeleteNamespacedStatefulSetAsync("fixed-set", "default");
    }

    [Fact]
    public async Task StringData_is_merged_into_data_and_never_stored()
    {
        V1Secret Secret(string name, string type, Dictionary<string, string> data) =>
            new() { Metadata = Meta(name), Type = type, StringData = data };

        V1Secret pull = Secret("good-pull", "kubernetes.io/dockerconfigjson", new() { [".dockerconfigjson"] = "{\"auths\":{}}" });
        pull.Data = new Dictionary<string, byte[]> { ["note"] = "from data"u8.ToArray(), ["both"] = "data"u8.ToArray() };
        pull.StringData["both"] = "stringData";
        V1Secret created = await _client.CoreV1.CreateNamespacedSecretAsync(pull, "default");
        V1Secret read = await _client.CoreV1.ReadNamespacedSecretAsync("good-pull", "default");
        foreach (V1Secret s in new[] { created, read })
        {
            Assert.Null(s.StringData);
            Assert.Equal([".dockerconfigjson", "both", "note"], s.Data.Keys.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal("stringData", System.Text.Encoding.UTF8.GetString(s.Data["both"]));
        }

        await _client.CoreV1.DeleteNamespacedSecretAsync("good-pull", "default");
    }

    [Fact]
    public async Task A_pod_without_imagePullSecrets_gets_its_service_accounts()
    {
        var account = new V1ServiceAccount { Metadata = Meta("puller"), ImagePullSecrets = [new V1LocalObjectReference { Name = "regcred" }] };
        await _client.CoreV1.CreateNamespacedServiceAccountAsync(account, "default");
        V1Pod Pod(string name) => new()
        {
            Metadata = Meta(name),
            Spec = new V1PodSpec { ServiceAccountName = "puller", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        };

        V1Pod inherited = await _client.CoreV1.CreateNamespacedPodAsync(Pod("sa-pull-inherits"), "default");
        Assert.Equal(["regcred"], inherited.Spec.ImagePullSecrets.Select(s => s.Name));
        // With AlwaysAllow authorization no token is mounted on its own (it would be an administrator's).
        Assert.Null(inherited.Spec.Volumes);

        V1Pod own = Pod("sa-pull-own");
        own.Spec.ImagePullSecrets = [new V1LocalObjectReference { Name = "mine" }];
        Assert.Equal(["mine"], (await _client.CoreV1.CreateNamespacedPodAsync(own, "default")).Spec.ImagePullSecrets.Select(s => s.Name));

        V1Pod plain = Pod("sa-pull-none");
        plain.Spec.ServiceAccountName = null;
        Assert.Null((await _client.CoreV1.CreateNamespacedPodAsync(plain, "default")).Spec.ImagePullSecrets);

        foreach (string name in new[] { "sa-pull-inherits", "sa-pull-own", "sa-pull-none" })
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        }

        await _client.CoreV1.DeleteNamespacedServiceAccountAsync("puller", "default");
    }
}
