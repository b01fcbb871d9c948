using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using k8s;
using k8s.Models;
using Navarch.Api.Protobuf.K8s.Api.Core.V1;
using Navarch.Api.Protobuf.K8s.Api.Policy.V1;
using Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Apis.Meta.V1;
using Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Runtime;
using IntOrString = Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Util.Intstr.IntOrString;
using TypeMeta = Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Runtime.TypeMeta;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>
/// Kubernetes' protobuf encoding on the wire, as client-go speaks it (the official C# client cannot): bodies built and
/// read with the generated messages against a real in-process API server.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProtobufWireTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Protobuf = "application/vnd.kubernetes.protobuf";

    private static byte[] Envelope(string apiVersion, string kind, IMessage message) =>
        [.. "k8s\0"u8.ToArray(), .. new Unknown { TypeMeta = new TypeMeta { ApiVersion = apiVersion, Kind = kind }, Raw = message.ToByteString() }.ToByteArray()];

    private static Unknown Open(byte[] body)
    {
        Assert.Equal("k8s\0"u8.ToArray(), body[..4]);
        return Unknown.Parser.ParseFrom(body.AsSpan(4));
    }

    private async Task<(HttpResponseMessage Response, byte[] Body)> SendAsync(HttpMethod method, string path, string accept, byte[]? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Accept.ParseAdd(accept);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(Protobuf);
        }

        HttpResponseMessage response = await fixture.Http.SendAsync(request);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_PodDisruptionBudget_created_in_protobuf_is_answered_and_read_back_in_protobuf()
    {
        var pdb = new PodDisruptionBudget
        {
            // A Go client writes every value field; empty strings there mean unset.
            Metadata = new ObjectMeta { Name = "pb-pdb", Namespace = "", GenerateName = "", Labels = { ["app"] = "web" } },
            Spec = new PodDisruptionBudgetSpec
            {
                MinAvailable = new IntOrString { Type = 1, StrVal = "50%" },
                Selector = new LabelSelector { MatchLabels = { ["app"] = "web" } },
            },
        };

        (HttpResponseMessage created, byte[] createdBody) = await SendAsync(HttpMethod.Post, "/apis/policy/v1/namespaces/default/poddisruptionbudgets", $"{Protobuf}, application/json", Envelope("policy/v1", "PodDisruptionBudget", pdb));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(Protobuf, created.Content.Headers.ContentType?.MediaType);
        Unknown answer = Open(createdBody);
        Assert.Equal(("policy/v1", "PodDisruptionBudget"), (answer.TypeMeta.ApiVersion, answer.TypeMeta.Kind));
        PodDisruptionBudget stored = PodDisruptionBudget.Parser.ParseFrom(answer.Raw);
        Assert.Equal("default", stored.Metadata.Namespace);
        Assert.NotEmpty(stored.Metadata.Uid);
        Assert.True(stored.Metadata.CreationTimestamp.Seconds > 0);
        Assert.Equal("50%", stored.Spec.MinAvailable.StrVal);

        // The JSON view of the same object agrees.
        V1PodDisruptionBudget json = await fixture.Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("pb-pdb", "default");
        Assert.Equal("50%", json.Spec.MinAvailable.Value);
        Assert.Equal("web", json.Spec.Selector.MatchLabels["app"]);
        Assert.False(json.Metadata.Annotations?.ContainsKey("") ?? false);
        Assert.Null(json.Metadata.GenerateName);

        (HttpResponseMessage read, byte[] readBody) = await SendAsync(HttpMethod.Get, "/apis/policy/v1/namespaces/default/poddisruptionbudgets/pb-pdb", Protobuf);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(stored.Metadata.ResourceVersion, PodDisruptionBudget.Parser.ParseFrom(Open(readBody).Raw).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_list_comes_in_protobuf_and_JSON_when_JSON_comes_first()
    {
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "pb-cm", Labels = new Dictionary<string, string> { ["pb"] = "yes" } }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default");

        (HttpResponseMessage list, byte[] body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps?labelSelector=pb%3Dyes", $"{Protobuf}, application/json");
        Assert.Equal(Protobuf, list.Content.Headers.ContentType?.MediaType);
        Unknown unknown = Open(body);
        Assert.Equal("ConfigMapList", unknown.TypeMeta.Kind);
        ConfigMapList configMaps = ConfigMapList.Parser.ParseFrom(unknown.Raw);
        Assert.Equal("v", Assert.Single(configMaps.Items).Data["k"]);
        Assert.NotEmpty(configMaps.Metadata.ResourceVersion);

        (HttpResponseMessage json, _) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps", $"application/json, {Protobuf}");
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_watch_in_protobuf_is_length_prefixed_WatchEvents_holding_enveloped_objects()
    {
        V1ConfigMap created = await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "pb-watched", Labels = new Dictionary<string, string> { ["pbwatch"] = "yes" } }, Data = new Dictionary<string, string> { ["k"] = "v1" } }, "default");

        Task<(HttpResponseMessage Response, byte[] Body)> watch = SendAsync(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=4&labelSelector=pbwatch%3Dyes&resourceVersion={created.Metadata.ResourceVersion}", $"{Protobuf}, application/json");
        await Task.Delay(1000);
        await fixture.Client.CoreV1.DeleteNamespacedConfigMapAsync("pb-watched", "default");
        (HttpResponseMessage response, byte[] body) = await watch;

        Assert.Equal("application/vnd.kubernetes.protobuf;stream=watch", response.Content.Headers.ContentType?.ToString().Replace(" ", "", StringComparison.Ordinal));
        var events = new List<(string Type, ConfigMap Object)>();
        for (int at = 0; at < body.Length;)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(at));
            WatchEvent e = WatchEvent.Parser.ParseFrom(body.AsSpan(at + 4, length));
            Unknown unknown = Open(e.Object.Raw.ToByteArray());
            Assert.Equal(("v1", "ConfigMap"), (unknown.TypeMeta.ApiVersion, unknown.TypeMeta.Kind));
            events.Add((e.Type, ConfigMap.Parser.ParseFrom(unknown.Raw)));
            at += 4 + length;
        }

        Assert.Equal(["DELETED"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("v1", e.Object.Data["k"]));
    }

    [Fact]
    public async Task Errors_are_a_protobuf_Status_and_bad_bodies_a_400()
    {
        (HttpResponseMessage missing, byte[] body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/pb-none", $"{Protobuf}, application/json");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Unknown unknown = Open(body);
        Assert.Equal(("v1", "Status"), (unknown.TypeMeta.ApiVersion, unknown.TypeMeta.Kind));
        Status status = Status.Parser.ParseFrom(unknown.Raw);
        Assert.Equal(("Failure", "NotFound", 404), (status.Status_, status.Reason, status.Code));
        Assert.Equal("configmaps \"pb-none\" not found", status.Message);

        (HttpResponseMessage bad, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", "application/json", "k8s\0garbage"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task A_kind_without_a_message_is_406_when_only_protobuf_is_acceptable()
    {
        (HttpResponseMessage response, byte[] body) = await SendAsync(HttpMethod.Get, "/apis/metrics.k8s.io/v1beta1/nodes", Protobuf);
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Contains("NotAcceptable", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);

        (HttpResponseMessage fallback, _) = await SendAsync(HttpMethod.Get, "/apis/metrics.k8s.io/v1beta1/nodes", $"{Protobuf}, application/json");
        Assert.Equal(HttpStatusCode.OK, fallback.StatusCode);
        Assert.Equal("application/json", fallback.Content.Headers.ContentType?.MediaType);
    }
}
