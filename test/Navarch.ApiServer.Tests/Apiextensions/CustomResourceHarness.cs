using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Apiextensions;

/// <summary>CRDs and raw requests for the custom resource tests.</summary>
internal static class CustomResourceHarness
{
    /// <summary>A namespaced CRD "widgets.&lt;group&gt;" (kind Widget) with a status and scale subresource, printer columns and a selectable field.</summary>
    public static V1CustomResourceDefinition Widgets(string group, string scope = "Namespaced", string plural = "widgets", string kind = "Widget") => new()
    {
        Metadata = new V1ObjectMeta { Name = $"{plural}.{group}" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = group,
            Scope = scope,
            Names = new V1CustomResourceDefinitionNames { Plural = plural, Kind = kind, ShortNames = ["wd"], Categories = ["all"] },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = "v1",
                    Served = true,
                    Storage = true,
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps
                        {
                            Type = "object",
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["spec"] = new()
                                {
                                    Type = "object",
                                    Description = "What the widget should be.",
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["color"] = new() { Type = "string", Description = "The widget's color." },
                                        ["replicas"] = new() { Type = "integer" },
                                        ["selector"] = new() { Type = "string" },
                                    },
                                },
                                ["status"] = new()
                                {
                                    Type = "object",
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["replicas"] = new() { Type = "integer" },
                                        ["phase"] = new() { Type = "string" },
                                        ["selector"] = new() { Type = "string" },
                                    },
                                },
                            },
                        },
                    },
                    Subresources = new V1CustomResourceSubresources
                    {
                        Status = new object(),
                        Scale = new V1CustomResourceSubresourceScale { SpecReplicasPath = ".spec.replicas", StatusReplicasPath = ".status.replicas", LabelSelectorPath = ".status.selector" },
                    },
                    AdditionalPrinterColumns =
                    [
                        new V1CustomResourceColumnDefinition { Name = "Color", Type = "string", JsonPath = ".spec.color" },
                        new V1CustomResourceColumnDefinition { Name = "Replicas", Type = "integer", JsonPath = ".spec.replicas" },
                        new V1CustomResourceColumnDefinition { Name = "Phase", Type = "string", JsonPath = ".status.phase", Priority = 1 },
                        new V1CustomResourceColumnDefinition { Name = "Age", Type = "date", JsonPath = ".metadata.creationTimestamp" },
                    ],
                    SelectableFields = [new V1SelectableField { JsonPath = ".spec.color" }],
                },
            ],
        },
    };

    /// <summary>Creates <paramref name="crd"/> and waits until it is established (its resources served).</summary>
    public static async Task<V1CustomResourceDefinition> InstallAsync(Kubernetes client, V1CustomResourceDefinition crd)
    {
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        return await Polling.Eventually(
            () => client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name),
            c => c.Status?.Conditions?.Any(x => x.Type == "Established" && x.Status == "True") == true,
            $"{crd.Metadata.Name} established");
    }

    /// <summary>A request with a JSON body (or none); the response is the caller's to dispose.</summary>
    public static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return http.SendAsync(request);
    }

    /// <summary>A request that must answer <paramref name="expected"/>; its body as JSON.</summary>
    public static async Task<JsonNode> ExpectAsync(HttpClient http, HttpStatusCode expected, HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null)
    {
        using HttpResponseMessage response = await SendAsync(http, method, path, body, contentType, accept);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
