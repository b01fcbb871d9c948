using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;
using static Navarch.ApiServer.Tests.Apiextensions.CustomResourceHarness;

namespace Navarch.ApiServer.Tests.Apiextensions;

/// <summary>Custom resources served from CustomResourceDefinitions by the real API server, over raw HTTP and the official client.</summary>
[Trait("Category", "Integration")]
public sealed class CustomResourceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Http => fixture.Http;

    private static JsonObject Widget(string name, string color, int replicas = 1, Dictionary<string, string>? labels = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (labels is not null)
        {
            metadata["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        return new JsonObject
        {
            ["apiVersion"] = "crud.example.com/v1",
            ["kind"] = "Widget",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["color"] = color, ["replicas"] = replicas },
        };
    }

    [Fact]
    public async Task An_established_crd_serves_its_resources_with_every_verb()
    {
        V1CustomResourceDefinition crd = await InstallAsync(fixture.Client, Widgets("crud.example.com"));
        Assert.Equal("NoConflicts", crd.Status.Conditions.Single(c => c.Type == "NamesAccepted").Reason);
        Assert.Equal("InitialNamesAccepted", crd.Status.Conditions.Single(c => c.Type == "Established").Reason);
        Assert.Equal("widgets", crd.Status.AcceptedNames.Plural);
        Assert.Equal("widget", crd.Status.AcceptedNames.Singular);
        Assert.Equal(["v1"], crd.Status.StoredVersions);

        const string collection = "/apis/crud.example.com/v1/namespaces/default/widgets";
        JsonNode created = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, collection, Widget("one", "red", labels: new() { ["tier"] = "front" }));
        Assert.Equal("Widget", (string?)created["kind"]);
        Assert.Equal(1, (long?)created["metadata"]!["generation"]);
        Assert.False(string.IsNullOrEmpty((string?)created["metadata"]!["uid"]));
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, collection, Widget("two", "blue"));
        await ExpectAsync(Http, HttpStatusCode.Conflict, HttpMethod.Post, collection, Widget("two", "blue"));

        JsonNode got = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "/one");
        Assert.Equal("red", (string?)got["spec"]!["color"]);
        await ExpectAsync(Http, HttpStatusCode.NotFound, HttpMethod.Get, collection + "/missing");

        // Selectors: labels, metadata.name and the CRD's selectable field; anything else is a 400.
        JsonNode list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "?labelSelector=tier%3Dfront");
        Assert.Equal("WidgetList", (string?)list["kind"]);
        Assert.Equal(["one"], list["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]));
        list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "?fieldSelector=spec.color%3Dblue");
        Assert.Equal(["two"], list["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]));
        list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "?fieldSelector=metadata.name%3Done");
        Assert.Single(list["items"]!.AsArray());
        await ExpectAsync(Http, HttpStatusCode.BadRequest, HttpMethod.Get, collection + "?fieldSelector=spec.size%3D3");

        // Paging.
        list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "?limit=1");
        Assert.Single(list["items"]!.AsArray());
        string next = (string)list["metadata"]!["continue"]!;
        list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "?limit=1&continue=" + Uri.EscapeDataString(next));
        Assert.Equal("two", (string?)list["items"]![0]!["metadata"]!["name"]);

        // Merge and JSON patches; a strategic merge patch is refused as Kubernetes refuses it for custom resources.
        JsonNode patched = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/one", new JsonObject { ["spec"] = new JsonObject { ["color"] = "green" } }, "application/merge-patch+json");
        Assert.Equal("green", (string?)patched["spec"]!["color"]);
        Assert.Equal(2, (long?)patched["metadata"]!["generation"]);
        patched = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/one", JsonNode.Parse("""[{"op":"replace","path":"/spec/replicas","value":3}]"""), "application/json-patch+json");
        Assert.Equal(3, (int?)patched["spec"]!["replicas"]);
        JsonNode smp = await ExpectAsync(Http, HttpStatusCode.UnsupportedMediaType, HttpMethod.Patch, collection + "/one", new JsonObject { ["spec"] = new JsonObject() }, "application/strategic-merge-patch+json");
        Assert.Equal("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", (string?)smp["message"]);

        // Labels and annotations alone do not bump the generation.
        patched = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/one", JsonNode.Parse("""{"metadata":{"labels":{"x":"y"}}}"""), "application/merge-patch+json");
        Assert.Equal(3, (long?)patched["metadata"]!["generation"]);

        // PUT with a stale resourceVersion is a conflict.
        var stale = (JsonObject)got.DeepClone();
        await ExpectAsync(Http, HttpStatusCode.Conflict, HttpMethod.Put, collection + "/one", stale);

        // Invalid metadata is a 422 as for any object.
        JsonNode invalid = await ExpectAsync(Http, HttpStatusCode.UnprocessableEntity, HttpMethod.Post, collection, Widget("Not_Valid", "red"));
        Assert.Equal("Invalid", (string?)invalid["reason"]);
        Assert.Equal("metadata.name", (string?)invalid["details"]!["causes"]![0]!["field"]);

        // The official client's generic API works against it too.
        JsonNode viaClient = JsonNode.Parse(((System.Text.Json.JsonElement)await fixture.Client.CustomObjects.GetNamespacedCustomObjectAsync("crud.example.com", "v1", "default", "widgets", "two")).GetRawText())!;
        Assert.Equal("blue", (string?)viaClient["spec"]!["color"]);

        await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Delete, collection + "/two");
        await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Delete, collection);
        list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection);
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Status_and_scale_subresources_split_what_each_write_may_change()
    {
        await InstallAsync(fixture.Client, Widgets("sub.example.com"));
        const string collection = "/apis/sub.example.com/v1/namespaces/default/widgets";
        JsonObject body = Widget("s", "red", replicas: 2);
        body["apiVersion"] = "sub.example.com/v1";
        body["status"] = new JsonObject { ["phase"] = "Ignored" };
        JsonNode created = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, collection, body);
        Assert.Null(created["status"]);

        // /status changes status only (the spec change in the same patch is dropped), and not the generation.
        JsonNode status = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/s/status",
            JsonNode.Parse("""{"spec":{"color":"blue"},"status":{"phase":"Ready","replicas":2,"selector":"app=s"}}"""), "application/merge-patch+json");
        Assert.Equal("Ready", (string?)status["status"]!["phase"]);
        Assert.Equal("red", (string?)status["spec"]!["color"]);
        Assert.Equal(1, (long?)status["metadata"]!["generation"]);

        // The main resource ignores status.
        JsonNode main = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/s",
            JsonNode.Parse("""{"spec":{"color":"blue"},"status":{"phase":"Hacked"}}"""), "application/merge-patch+json");
        Assert.Equal("Ready", (string?)main["status"]!["phase"]);
        Assert.Equal(2, (long?)main["metadata"]!["generation"]);

        // Scale: the CRD's paths.
        JsonNode scale = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "/s/scale");
        Assert.Equal("Scale", (string?)scale["kind"]);
        Assert.Equal("autoscaling/v1", (string?)scale["apiVersion"]);
        Assert.Equal(2, (int?)scale["spec"]!["replicas"]);
        Assert.Equal(2, (int?)scale["status"]!["replicas"]);
        Assert.Equal("app=s", (string?)scale["status"]!["selector"]);
        scale = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/s/scale", JsonNode.Parse("""{"spec":{"replicas":5}}"""), "application/merge-patch+json");
        Assert.Equal(5, (int?)scale["spec"]!["replicas"]);
        JsonNode after = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "/s");
        Assert.Equal(5, (int?)after["spec"]!["replicas"]);
        Assert.Equal(3, (long?)after["metadata"]!["generation"]);
    }

    [Fact]
    public async Task Kubectl_tables_discovery_and_openapi_come_from_the_crd()
    {
        await InstallAsync(fixture.Client, Widgets("print.example.com"));
        const string collection = "/apis/print.example.com/v1/namespaces/default/widgets";
        JsonObject w = Widget("p", "red", replicas: 4);
        w["apiVersion"] = "print.example.com/v1";
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, collection, w);

        JsonNode table = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection, accept: "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(["Name", "Color", "Replicas", "Phase", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string?)c!["name"]));
        Assert.Equal(1, (int?)table["columnDefinitions"]![3]!["priority"]);
        JsonArray cells = table["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("p", (string?)cells[0]);
        Assert.Equal("red", (string?)cells[1]);
        Assert.Equal(4, (long?)cells[2]);
        Assert.Null(cells[3]);
        Assert.EndsWith("s", (string?)cells[4]);

        JsonNode resources = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, "/apis/print.example.com/v1");
        JsonNode widgets = resources["resources"]!.AsArray().Single(r => (string?)r!["name"] == "widgets")!;
        Assert.Equal("widget", (string?)widgets["singularName"]);
        Assert.True((bool?)widgets["namespaced"]);
        Assert.Equal(["wd"], widgets["shortNames"]!.AsArray().Select(s => (string?)s));
        Assert.Equal(["all"], widgets["categories"]!.AsArray().Select(s => (string?)s));
        Assert.Contains(resources["resources"]!.AsArray(), r => (string?)r!["name"] == "widgets/status");
        Assert.Contains(resources["resources"]!.AsArray(), r => (string?)r!["name"] == "widgets/scale");
        JsonNode groups = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, "/apis");
        Assert.Contains(groups["groups"]!.AsArray(), g => (string?)g!["name"] == "print.example.com");

        JsonNode index = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, "/openapi/v3");
        string url = (string)index["paths"]!["apis/print.example.com/v1"]!["serverRelativeURL"]!;
        JsonNode v3 = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, url);
        JsonNode schema = v3["components"]!["schemas"]!["com.example.print.v1.Widget"]!;
        Assert.Equal("The widget's color.", (string?)schema["properties"]!["spec"]!["properties"]!["color"]!["description"]);
        Assert.Equal("Widget", (string?)schema["x-kubernetes-group-version-kind"]![0]!["kind"]);
        JsonNode v2 = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, "/openapi/v2");
        Assert.NotNull(v2["definitions"]!["com.example.print.v1.Widget"]);
        Assert.NotNull(v2["paths"]!["/apis/print.example.com/v1/namespaces/{namespace}/widgets/{name}"]);
    }

    [Fact]
    public async Task A_name_taken_by_another_crd_of_the_group_is_not_accepted()
    {
        await InstallAsync(fixture.Client, Widgets("names.example.com"));
        V1CustomResourceDefinition rival = Widgets("names.example.com", plural: "gadgets", kind: "Widget");
        await fixture.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(rival);
        V1CustomResourceDefinition seen = await Polling.Eventually(
            () => fixture.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("gadgets.names.example.com"),
            c => c.Status?.Conditions?.Any(x => x.Type == "NamesAccepted") == true,
            "gadgets names checked");
        V1CustomResourceDefinitionCondition accepted = seen.Status.Conditions.Single(c => c.Type == "NamesAccepted");
        Assert.Equal("False", accepted.Status);
        // Its singular (defaulted from the kind) is the first of its names taken: plural, singular, short names, kind are checked in that order.
        Assert.Equal("SingularConflict", accepted.Reason);
        Assert.Equal("\"widget\" is already in use", accepted.Message);
        Assert.Equal("gadgets", seen.Status.AcceptedNames.Plural);
        V1CustomResourceDefinitionCondition established = seen.Status.Conditions.Single(c => c.Type == "Established");
        Assert.Equal(("False", "NotAccepted", "not all names are accepted"), (established.Status, established.Reason, established.Message));
        await ExpectAsync(Http, HttpStatusCode.NotFound, HttpMethod.Get, "/apis/names.example.com/v1/namespaces/default/gadgets");
    }

    [Fact]
    public async Task Versions_share_storage_a_deprecated_one_warns_and_an_unserved_one_is_not_found()
    {
        V1CustomResourceDefinition crd = Widgets("versions.example.com");
        V1CustomResourceDefinitionVersion v1 = crd.Spec.Versions[0];
        crd.Spec.Versions =
        [
            v1,
            new V1CustomResourceDefinitionVersion { Name = "v1beta1", Served = true, Storage = false, Deprecated = true, Schema = v1.Schema },
            new V1CustomResourceDefinitionVersion { Name = "v1alpha1", Served = false, Storage = false, Schema = v1.Schema },
        ];
        await InstallAsync(fixture.Client, crd);
        JsonObject w = Widget("old", "red");
        w["apiVersion"] = "versions.example.com/v1beta1";
        using (HttpResponseMessage response = await SendAsync(Http, HttpMethod.Post, "/apis/versions.example.com/v1beta1/namespaces/default/widgets", w))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Contains("299 - \"versions.example.com/v1beta1 Widget is deprecated; use versions.example.com/v1 Widget\"", response.Headers.GetValues("Warning"));
        }

        JsonNode asV1 = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, "/apis/versions.example.com/v1/namespaces/default/widgets/old");
        Assert.Equal("versions.example.com/v1", (string?)asV1["apiVersion"]);
        await ExpectAsync(Http, HttpStatusCode.NotFound, HttpMethod.Get, "/apis/versions.example.com/v1alpha1/namespaces/default/widgets");
        JsonNode group = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, "/apis/versions.example.com");
        Assert.Equal("v1", (string?)group["preferredVersion"]!["version"]);
        Assert.Equal(["v1", "v1beta1"], group["versions"]!.AsArray().Select(v => (string?)v!["version"]));
    }

    [Fact]
    public async Task Deleting_a_crd_deletes_its_objects_first_then_stops_serving()
    {
        await InstallAsync(fixture.Client, Widgets("gone.example.com", scope: "Cluster"));
        const string collection = "/apis/gone.example.com/v1/widgets";
        JsonObject w = Widget("c", "red");
        w["apiVersion"] = "gone.example.com/v1";
        JsonNode created = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, collection, w);
        Assert.Null(created["metadata"]!["namespace"]);
        // A finalizer of its own keeps the object (and so the CRD) until it is removed.
        await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/c", JsonNode.Parse("""{"metadata":{"finalizers":["example.com/hold"]}}"""), "application/merge-patch+json");

        await fixture.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.gone.example.com");
        V1CustomResourceDefinition terminating = await Polling.Eventually(
            () => fixture.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.gone.example.com"),
            c => c.Status.Conditions.Any(x => x.Type == "Terminating" && x.Reason == "InstanceDeletionCheck"),
            "the CRD waits for its object");
        Assert.Contains("customresourcecleanup.apiextensions.k8s.io", terminating.Metadata.Finalizers);
        await ExpectAsync(Http, HttpStatusCode.MethodNotAllowed, HttpMethod.Post, collection, Widget("late", "red"));
        JsonNode held = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, collection + "/c");
        Assert.NotNull(held["metadata"]!["deletionTimestamp"]);

        await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, collection + "/c", JsonNode.Parse("""{"metadata":{"finalizers":null}}"""), "application/merge-patch+json");
        await Polling.Eventually(
            async () => (await fixture.Client.ApiextensionsV1.ListCustomResourceDefinitionAsync()).Items.All(c => c.Metadata.Name != "widgets.gone.example.com"),
            "the CRD is gone");
        await Polling.EventuallyPasses(() => ExpectAsync(Http, HttpStatusCode.NotFound, HttpMethod.Get, collection), "no longer served");
    }

    [Fact]
    public async Task Server_side_apply_merges_a_custom_resources_lists_by_the_crds_map_keys_and_reports_conflicts()
    {
        V1CustomResourceDefinition crd = Widgets("apply.example.com");
        V1JSONSchemaProps spec = crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"];
        spec.Properties["ports"] = new V1JSONSchemaProps
        {
            Type = "array",
            XKubernetesListType = "map",
            XKubernetesListMapKeys = ["name"],
            Items = new V1JSONSchemaProps
            {
                Type = "object",
                Required = ["name"],
                Properties = new Dictionary<string, V1JSONSchemaProps> { ["name"] = new() { Type = "string" }, ["port"] = new() { Type = "integer" } },
            },
        };
        await InstallAsync(fixture.Client, crd);
        const string path = "/apis/apply.example.com/v1/namespaces/default/widgets/applied";
        JsonObject Config(string? color, params (string Name, int Port)[] ports)
        {
            var content = new JsonObject();
            if (ports.Length > 0)
            {
                content["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["port"] = p.Port })]);
            }

            if (color is not null)
            {
                content["color"] = color;
            }

            return new JsonObject { ["apiVersion"] = "apply.example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "applied" }, ["spec"] = content };
        }

        // Apply creates; a second manager adds an item of the keyed list without touching the first's.
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Patch, path + "?fieldManager=alice", Config("red", ("http", 80)), "application/apply-patch+yaml");
        JsonNode both = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, path + "?fieldManager=bob", Config(null, ("metrics", 9090)), "application/apply-patch+yaml");
        Assert.Equal(["http", "metrics"], both["spec"]!["ports"]!.AsArray().Select(p => (string?)p!["name"]));
        Assert.Equal(["alice", "bob"], both["metadata"]!["managedFields"]!.AsArray().Select(m => (string?)m!["manager"]).Order());
        JsonObject bobs = both["metadata"]!["managedFields"]!.AsArray().Single(m => (string?)m!["manager"] == "bob")!["fieldsV1"]!["f:spec"]!["f:ports"]!.AsObject();
        Assert.Equal(["k:{\"name\":\"metrics\"}"], bobs.Select(f => f.Key));

        // Bob changing Alice's color is a conflict naming her and the field; forced, it is his.
        JsonNode conflict = await ExpectAsync(Http, HttpStatusCode.Conflict, HttpMethod.Patch, path + "?fieldManager=bob", Config("blue", ("metrics", 9090)), "application/apply-patch+yaml");
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .spec.color", (string?)conflict["message"]);
        await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, path + "?fieldManager=bob&force=true", Config("blue", ("metrics", 9090)), "application/apply-patch+yaml");

        // Alice stops sending her port: it goes, Bob's stays.
        JsonNode after = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Patch, path + "?fieldManager=alice", Config(null), "application/apply-patch+yaml");
        Assert.Equal(["metrics"], after["spec"]!["ports"]!.AsArray().Select(p => (string?)p!["name"]));
        Assert.Equal("blue", (string?)after["spec"]!["color"]);
    }

    [Fact]
    public async Task Defaults_apply_on_read_by_the_stored_versions_schema_without_being_written_and_lists_carry_the_listKind()
    {
        const string group = "defaults.example.com";
        static V1CustomResourceValidation Schema(string? modeDefault) => new()
        {
            OpenAPIV3Schema = new V1JSONSchemaProps
            {
                Type = "object",
                Properties = new Dictionary<string, V1JSONSchemaProps>
                {
                    ["spec"] = new()
                    {
                        Type = "object",
                        Properties = new Dictionary<string, V1JSONSchemaProps>
                        {
                            ["size"] = new() { Type = "integer" },
                            ["mode"] = new() { Type = "string", DefaultProperty = modeDefault },
                        },
                    },
                },
            },
        };
        var crd = new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = $"dials.{group}" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = group,
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "dials", Kind = "Dial", ListKind = "DialCollection" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion { Name = "v1", Served = true, Storage = false, Schema = Schema(null) },
                    new V1CustomResourceDefinitionVersion { Name = "v2", Served = true, Storage = true, Schema = Schema(null) },
                ],
            },
        };
        await InstallAsync(fixture.Client, crd);
        JsonObject Dial(string version, string name) => new()
        {
            ["apiVersion"] = $"{group}/{version}",
            ["kind"] = "Dial",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject { ["size"] = 3 },
        };
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v2/namespaces/default/dials", Dial("v2", "before"));

        // Defaults added later: the storage version's and the other version's differ.
        V1CustomResourceDefinition current = await fixture.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name);
        current.Spec.Versions.Single(v => v.Name == "v1").Schema = Schema("slow");
        current.Spec.Versions.Single(v => v.Name == "v2").Schema = Schema("fast");
        await fixture.Client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(current, crd.Metadata.Name);

        // Read through either version, the object stored without a mode gets the storage version's default (defaulting
        // happens on the stored object, before conversion), and the store keeps it without one.
        JsonNode asV2 = await Polling.Eventually(
            () => ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v2/namespaces/default/dials/before"),
            d => d["spec"]?["mode"] is not null,
            "the new defaults are served");
        Assert.Equal("fast", (string?)asV2["spec"]!["mode"]);
        JsonNode asV1 = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v1/namespaces/default/dials/before");
        Assert.Equal("fast", (string?)asV1["spec"]!["mode"]);
        Assert.Null(JsonNode.Parse((await fixture.Server.Store.GetAsync($"/registry/{group}/dials/default/before"))!.Value)!["spec"]!["mode"]);

        // A write is defaulted by the version it is written in, and stored so.
        JsonNode written = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v1/namespaces/default/dials", Dial("v1", "after"));
        Assert.Equal("slow", (string?)written["spec"]!["mode"]);
        Assert.Equal("slow", (string?)JsonNode.Parse((await fixture.Server.Store.GetAsync($"/registry/{group}/dials/default/after"))!.Value)!["spec"]!["mode"]);

        // Lists ("after", "before") are defaulted as well, and their kind is the CRD's listKind.
        JsonNode list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v1/namespaces/default/dials");
        Assert.Equal("DialCollection", (string?)list["kind"]);
        Assert.Equal($"{group}/v1", (string?)list["apiVersion"]);
        Assert.Equal(["slow", "fast"], list["items"]!.AsArray().Select(i => (string?)i!["spec"]!["mode"]));
        JsonNode cached = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v2/namespaces/default/dials?resourceVersion=0");
        Assert.Equal("DialCollection", (string?)cached["kind"]);
        Assert.Equal(["slow", "fast"], cached["items"]!.AsArray().Select(i => (string?)i!["spec"]!["mode"]));
    }
}
