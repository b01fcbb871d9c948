using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using k8s;
using k8s.Models;
using Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Apis.Meta.V1;
using Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Runtime;
using Navarch.Testing;
using static Navarch.ApiServer.Tests.Apiextensions.CustomResourceHarness;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>
/// A LIST is written from the stored bytes (issue 17): each of its items must be byte for byte what GET answers for the
/// same object, in JSON and in protobuf — whatever the item holds (escapes the store's encoder writes differently,
/// managedFields, an absent status), however the list is read (from the store, the watch cache, in pages, through a
/// selector), and for the resources rewritten on read (a custom resource with a default added after it was stored).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ListItemBytesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Namespace = "list-bytes";
    private const string Protobuf = "application/vnd.kubernetes.protobuf";

    // Text the store's encoder escapes as \uXXXX and the response's writes as it is, and escapes both write alike.
    private const string Awkward = "<b> & 'q' \"x\" + é ✓ 😀 \u2028 tab\there back\\slash";

    public static TheoryData<string> Collections => new()
    {
        "/api/v1/namespaces/list-bytes/pods",
        "/api/v1/namespaces/list-bytes/configmaps",
        "/apis/apps/v1/namespaces/list-bytes/deployments",
        "/api/v1/namespaces/list-bytes/services",
    };

    private static readonly string[] Reads = ["", "?resourceVersion=0", "?labelSelector=app%3Dweb", "?fieldSelector=metadata.name%3Dplain", "?resourceVersion=0&labelSelector=app"];

    [Theory]
    [MemberData(nameof(Collections))]
    public async Task Json_list_items_are_what_get_answers(string collection)
    {
        await SeedAsync();
        int seen = 0;
        foreach (string read in Reads)
        {
            foreach ((string name, string item) in JsonItems(await GetAsync(collection + read, "application/json")))
            {
                Assert.Equal(await GetAsync($"{collection}/{name}", "application/json"), item);
                seen++;
            }
        }

        // Pages: every page's items, and the pages together hold them all.
        var paged = new List<string>();
        string? next = "";
        while (next is not null)
        {
            string page = await GetAsync($"{collection}?limit=1{(next.Length > 0 ? "&continue=" + Uri.EscapeDataString(next) : "")}", "application/json");
            foreach ((string name, string item) in JsonItems(page))
            {
                Assert.Equal(await GetAsync($"{collection}/{name}", "application/json"), item);
                paged.Add(name);
            }

            next = JsonNode.Parse(page)!["metadata"]!["continue"]?.GetValue<string>();
        }

        Assert.Equal(JsonItems(await GetAsync(collection, "application/json")).Select(i => i.Name), paged);
        Assert.True(seen >= 3, $"{collection}: only {seen} items compared");
    }

    [Theory]
    [MemberData(nameof(Collections))]
    public async Task Protobuf_list_items_are_what_get_answers(string collection)
    {
        await SeedAsync();
        int seen = 0;
        foreach (string read in Reads)
        {
            byte[] list = await GetBytesAsync(collection + read, $"{Protobuf}, application/json", Protobuf);
            foreach (ByteString item in ProtobufItems(list))
            {
                string name = ObjectMeta.Parser.ParseFrom(Field(item, 1).Single()).Name;
                Unknown single = Open(await GetBytesAsync($"{collection}/{name}", Protobuf, Protobuf));
                Assert.Equal(single.Raw.ToByteArray(), item.ToByteArray());
                seen++;
            }
        }

        Assert.True(seen >= 3, $"{collection}: only {seen} items compared");
    }

    [Fact]
    public async Task A_custom_resources_list_items_carry_the_defaults_applied_on_read()
    {
        const string Group = "listbytes.example.com";
        const string Collection = $"/apis/{Group}/v1/namespaces/default/widgets";
        V1CustomResourceDefinition crd = await InstallAsync(fixture.Client, Widgets(Group));
        foreach (string name in new[] { "w1", "w2" })
        {
            await ExpectAsync(fixture.Http, HttpStatusCode.Created, HttpMethod.Post, Collection, JsonNode.Parse($"{{\"apiVersion\":\"{Group}/v1\",\"kind\":\"Widget\",\"metadata\":{{\"name\":\"{name}\",\"annotations\":{{\"note\":{JsonSerializer.Serialize(Awkward)}}}}},\"spec\":{{\"replicas\":1}}}}"));
        }

        // A default added after the objects were stored applies when they are read, in a LIST as in a GET.
        crd = await fixture.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name);
        crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["color"].DefaultProperty = "blue";
        await fixture.Client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name);
        await Polling.Eventually(
            async () => JsonNode.Parse(await GetAsync(Collection + "/w1", "application/json"))!["spec"]?["color"]?.GetValue<string>() == "blue",
            "the default applied on read");

        foreach (string read in new[] { "", "?resourceVersion=0" })
        {
            List<(string Name, string Item)> items = JsonItems(await GetAsync(Collection + read, $"{Protobuf}, application/json"));
            Assert.Equal(["w1", "w2"], items.Select(i => i.Name));
            foreach ((string name, string item) in items)
            {
                Assert.Equal(await GetAsync($"{Collection}/{name}", "application/json"), item);
                Assert.Equal("blue", JsonNode.Parse(item)!["spec"]!["color"]!.GetValue<string>());
            }
        }
    }

    // xunit makes an instance per test; the objects are made once for the class's server.
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private static bool _seeded;

    /// <summary>The objects every collection test lists, created once.</summary>
    [Theory]
    [InlineData("", true)]
    [InlineData("&labelSelector=app", false)]
    [InlineData("&fieldSelector=metadata.name%21%3Dnone", false)]
    public async Task A_page_counts_the_remaining_items_only_without_a_selector(string selector, bool counted)
    {
        await SeedAsync();
        foreach (string accept in new[] { "application/json", "application/json;as=Table;v=v1;g=meta.k8s.io" })
        {
            JsonNode metadata = JsonNode.Parse(await GetAsync("/api/v1/namespaces/list-bytes/configmaps?limit=1" + selector, accept))!["metadata"]!;
            Assert.NotNull(metadata["continue"]);

            // ListMeta's remainingItemCount is a pointer with omitempty: a count, or no key at all (never null).
            Assert.Equal(counted, metadata.AsObject().ContainsKey("remainingItemCount"));
            Assert.True(!counted || metadata["remainingItemCount"]!.GetValue<long>() >= 1, metadata.ToJsonString());
        }
    }

    private async Task SeedAsync()
    {
        await Seeding.WaitAsync();
        try
        {
            if (_seeded)
            {
                return;
            }

            await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
            string note = JsonSerializer.Serialize(Awkward);
            string[] bodies =
            [
                // managedFields (from the field manager) hold keys like k:{"name":"c"}, which the store writes with \u0022.
                """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox:1.36","ports":[{"containerPort":80}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}""",
                """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"awkward","labels":{"app":"db"},"annotations":{"note":"NOTE"}},"spec":{"containers":[{"name":"c","image":"busybox:1.36","command":["sh","-c","NOTE"]}]}}""",
                """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain","labels":{"app":"web"}},"data":{"a":"b"}}""",
                """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"awkward","annotations":{"note":"NOTE"}},"data":{"text":"NOTE"},"binaryData":{"bin":"AAEC"}}""",
                """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bare"}}""",
                """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"plain","labels":{"app":"web"}},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}}""",
                """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"awkward","annotations":{"note":"NOTE"}},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}}""",
                """{"apiVersion":"v1","kind":"Service","metadata":{"name":"plain","labels":{"app":"web"}},"spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":"http"}]}}""",
                """{"apiVersion":"v1","kind":"Service","metadata":{"name":"awkward","annotations":{"note":"NOTE"}},"spec":{"selector":{"app":"db"},"ports":[{"port":5432,"targetPort":5432}]}}""",
            ];
            foreach (string body in bodies)
            {
                JsonNode node = JsonNode.Parse(body.Replace("\"NOTE\"", note, StringComparison.Ordinal))!;
                string collection = (node["apiVersion"]!.GetValue<string>(), node["kind"]!.GetValue<string>()) switch
                {
                    ("v1", "Pod") => "/api/v1/namespaces/list-bytes/pods",
                    ("v1", "ConfigMap") => "/api/v1/namespaces/list-bytes/configmaps",
                    ("v1", "Service") => "/api/v1/namespaces/list-bytes/services",
                    _ => "/apis/apps/v1/namespaces/list-bytes/deployments",
                };
                await ExpectAsync(fixture.Http, HttpStatusCode.Created, HttpMethod.Post, collection + "?fieldManager=list-bytes", node);
            }

            _seeded = true;
        }
        finally
        {
            Seeding.Release();
        }
    }

    private async Task<string> GetAsync(string path, string accept) => Encoding.UTF8.GetString(await GetBytesAsync(path, accept, "application/json"));

    private async Task<byte[]> GetBytesAsync(string path, string accept, string expectedType)
    {
        using HttpResponseMessage response = await SendAsync(fixture.Http, HttpMethod.Get, path, accept: accept);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        Assert.Equal(expectedType, response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    /// <summary>Each item of a JSON list: its name and its exact text in the body.</summary>
    private static List<(string Name, string Item)> JsonItems(string list)
    {
        using JsonDocument document = JsonDocument.Parse(list);
        return document.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => (i.GetProperty("metadata").GetProperty("name").GetString()!, i.GetRawText())).ToList();
    }

    private static Unknown Open(byte[] body)
    {
        Assert.Equal("k8s\0"u8.ToArray(), body[..4]);
        return Unknown.Parser.ParseFrom(body.AsSpan(4));
    }

    /// <summary>Each item of a protobuf list (field 2 of every *List message), as the bytes on the wire.</summary>
    private static List<ByteString> ProtobufItems(byte[] list) => Field(Open(list).Raw, 2);

    /// <summary>The raw values of the length-delimited field <paramref name="number"/> of a message.</summary>
    private static List<ByteString> Field(ByteString message, int number)
    {
        var values = new List<ByteString>();
        var input = new CodedInputStream(message.ToByteArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                values.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return values;
    }
}
