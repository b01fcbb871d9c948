using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using static Navarch.ApiServer.Tests.Apiextensions.CustomResourceHarness;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>
/// The order of the fields in raw response bodies, as kube-apiserver's encoders write them: a built-in kind is a Go
/// struct with TypeMeta embedded first (kind, then apiVersion), ObjectMeta, spec, status; a list is kind, apiVersion,
/// metadata, items; a Status is kind, apiVersion, metadata, status, message, reason, details, code. A custom resource
/// is an unstructured map, which Go writes with sorted keys at every level, and so is a list of them.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FieldOrderTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private async Task<string> SendAsync(HttpMethod method, string path, string? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return text;
    }

    // The property names of the object at the top of the raw body, in the order they were written.
    private static string[] Keys(string json, params string[] path)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement element = document.RootElement;
        foreach (string step in path)
        {
            element = int.TryParse(step, out int index) ? element[index] : element.GetProperty(step);
        }

        return element.EnumerateObject().Select(p => p.Name).ToArray();
    }

    [Fact]
    public async Task Built_in_objects_lists_and_statuses_are_written_in_go_struct_order()
    {
        const string Deployments = "/apis/apps/v1/namespaces/default/deployments";
        const string Deployment = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"ordered"},"spec":{"selector":{"matchLabels":{"app":"o"}},"template":{"metadata":{"labels":{"app":"o"}},"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}}""";
        string[] typed = ["kind", "apiVersion", "metadata", "spec", "status"];
        Assert.Equal(typed, Keys(await SendAsync(HttpMethod.Post, Deployments, Deployment, HttpStatusCode.Created)));
        Assert.Equal(typed, Keys(await SendAsync(HttpMethod.Get, Deployments + "/ordered")));
        Assert.Equal(typed, Keys(await SendAsync(HttpMethod.Get, Deployments), "items", "0").Intersect(typed));
        Assert.Equal(["kind", "apiVersion", "metadata", "items"], Keys(await SendAsync(HttpMethod.Get, Deployments)));

        // A kind without spec: TypeMeta and ObjectMeta still come first.
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "ordered" }, Data = new Dictionary<string, string> { ["a"] = "b" } }, "default");
        Assert.Equal(["kind", "apiVersion", "metadata", "data"], Keys(await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/ordered")));

        // Patch and delete answers, and a Status.
        Assert.Equal(typed, Keys(await PatchAsync(Deployments + "/ordered")));
        Assert.Equal(
            ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"],
            Keys(await SendAsync(HttpMethod.Get, Deployments + "/missing", expected: HttpStatusCode.NotFound)));
        Assert.Equal(["kind", "apiVersion", "metadata", "status", "details"], Keys(await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/ordered")));
        await fixture.Client.AppsV1.DeleteNamespacedDeploymentAsync("ordered", "default");
    }

    private async Task<string> PatchAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent("""{"metadata":{"labels":{"patched":"yes"}}}""", Encoding.UTF8, "application/merge-patch+json"),
        };
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Custom_resources_are_written_with_sorted_keys_as_unstructured_maps_are()
    {
        await InstallAsync(fixture.Client, Widgets("order.example.com"));
        const string Collection = "/apis/order.example.com/v1/namespaces/default/widgets";
        const string Widget = """{"metadata":{"name":"w","labels":{"z":"1","a":"2"}},"status":{"phase":"New"},"spec":{"selector":"s","color":"red"},"kind":"Widget","apiVersion":"order.example.com/v1"}""";
        string created = await SendAsync(HttpMethod.Post, Collection, Widget, HttpStatusCode.Created);
        foreach (string body in (string[])[created, await SendAsync(HttpMethod.Get, Collection + "/w")])
        {
            Assert.Equal(["apiVersion", "kind", "metadata", "spec"], Keys(body).Except(["status"]));
            Assert.Equal(["color", "selector"], Keys(body, "spec"));
            Assert.Equal(["a", "z"], Keys(body, "metadata", "labels"));
            string[] metadata = Keys(body, "metadata");
            Assert.Equal(metadata.Order(StringComparer.Ordinal), metadata);
        }

        string list = await SendAsync(HttpMethod.Get, Collection);
        Assert.Equal(["apiVersion", "items", "kind", "metadata"], Keys(list));
        Assert.Equal(["apiVersion", "kind", "metadata", "spec"], Keys(list, "items", "0").Except(["status"]));
        await SendAsync(HttpMethod.Delete, Collection + "/w");
    }
}
