using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>
/// DELETE's status code as kube-apiserver's handlers.DeleteResource chooses it: 202 Accepted when the object is still
/// there (finalizers, a pod's grace period) and the client asked for cascading with <c>orphanDependents=false</c>
/// (query or body); 200 for every other delete, pending ones included (propagationPolicy, plain).
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeleteStatusCodeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Namespace = "default";

    private async Task<V1ConfigMap> HeldAsync(string name) => await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(
        new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Finalizers = ["example.com/hold"] } }, Namespace);

    private async Task ReleaseAsync(string name)
    {
        var patch = new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch);
        await fixture.Client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, Namespace);
    }

    private async Task<(HttpStatusCode Code, JsonNode Body)> DeleteAsync(string path, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task A_pending_delete_with_orphanDependents_false_is_202_with_the_object()
    {
        await HeldAsync("accepted-query");
        (HttpStatusCode code, JsonNode body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/accepted-query?orphanDependents=false");
        Assert.Equal(HttpStatusCode.Accepted, code);
        Assert.Equal("ConfigMap", (string?)body["kind"]);
        Assert.NotNull(body["metadata"]!["deletionTimestamp"]);

        // The same from the body's DeleteOptions, on an object already being deleted.
        (code, body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/accepted-query", """{"kind":"DeleteOptions","apiVersion":"v1","orphanDependents":false}""");
        Assert.Equal(HttpStatusCode.Accepted, code);
        Assert.Equal("accepted-query", (string?)body["metadata"]!["name"]);
        await ReleaseAsync("accepted-query");
    }

    [Fact]
    public async Task Other_deletes_are_200_pending_or_not()
    {
        await HeldAsync("pending-foreground");
        (HttpStatusCode code, JsonNode body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/pending-foreground?propagationPolicy=Foreground");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Contains("foregroundDeletion", body["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));
        await HeldAsync("pending-plain");
        (code, body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/pending-plain");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.NotNull(body["metadata"]!["deletionTimestamp"]);
        (code, _) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/pending-plain?orphanDependents=true");
        Assert.Equal(HttpStatusCode.OK, code);

        // Gone at once: a Success Status with code 200, orphanDependents=false or not.
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "gone" } }, Namespace);
        (code, body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/gone?orphanDependents=false");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(("Status", "Success"), ((string?)body["kind"], (string?)body["status"]));

        await ReleaseAsync("pending-foreground");
        await ReleaseAsync("pending-plain");
    }

    [Fact]
    public async Task A_pod_in_its_grace_period_and_a_terminating_namespace_are_202_through_the_official_client()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "graceful" },
            Spec = new V1PodSpec { NodeName = "somewhere", Containers = [new V1Container { Name = "c", Image = "busybox:1.36" }] },
        };
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, Namespace);
        using (HttpOperationResponse<V1Pod> response = await fixture.Client.CoreV1.DeleteNamespacedPodWithHttpMessagesAsync("graceful", Namespace, orphanDependents: false))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.Response.StatusCode);
            Assert.NotNull(response.Body.Metadata.DeletionTimestamp);
        }

        using (HttpOperationResponse<V1Pod> response = await fixture.Client.CoreV1.DeleteNamespacedPodWithHttpMessagesAsync("graceful", Namespace, gracePeriodSeconds: 30))
        {
            Assert.Equal(HttpStatusCode.OK, response.Response.StatusCode);
        }

        await fixture.Client.CoreV1.DeleteNamespacedPodAsync("graceful", Namespace, gracePeriodSeconds: 0);

        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "accepted-namespace" } });
        using (HttpOperationResponse<V1Status> response = await fixture.Client.CoreV1.DeleteNamespaceWithHttpMessagesAsync("accepted-namespace", body: new V1DeleteOptions { OrphanDependents = false }))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.Response.StatusCode);
        }
    }
}
