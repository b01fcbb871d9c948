using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.ManagedFields;
using Xunit;

namespace Navarch.Api.Machinery.Tests.ManagedFields;

[Trait("Category", "Unit")]
public sealed class FieldManagerTests
{
    private static readonly DateTime Now = new(2026, 12, 7, 3, 0, 0, DateTimeKind.Utc);
    private readonly FieldManager manager = new(BuiltInTypeSchema.Root, "apps/v1", hasStatus: true);

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;

    private static JsonObject Deployment(int replicas, string image = "nginx:1.25") => Json("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
         "spec":{"replicas":REPLICAS,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"IMAGE","ports":[{"containerPort":80}]}]}}}}
        """.Replace("REPLICAS", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("IMAGE", image, StringComparison.Ordinal));

    private static string Fields(IList<V1ManagedFieldsEntry> entries, string manager) =>
        ((JsonObject)entries.Single(e => e.Manager == manager).FieldsV1).ToJsonString();

    [Fact]
    public void ToFieldSetNamesListMapItemsByKeyAndOwnsAtomicMapsWhole()
    {
        FieldSet set = StructuredMerge.ToFieldSet(Deployment(3), BuiltInTypeSchema.Root);

        string json = set.ToFieldsV1().ToJsonString();
        Assert.Contains("\"f:selector\":{}", json);
        Assert.Contains("\"k:{\\u0022name\\u0022:\\u0022web\\u0022}\":{\".\":{}", json.Replace("\\\"", "\\u0022"));
        Assert.True(set.Has(["f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"web\"}", "f:ports", "k:{\"containerPort\":80,\"protocol\":\"TCP\"}", "f:containerPort"]));
        Assert.True(set.Has(["f:spec", "f:replicas"]));
        Assert.False(set.Has(["f:spec"]));
    }

    [Fact]
    public void FieldsV1RoundTrips()
    {
        FieldSet set = StructuredMerge.ToFieldSet(Json("""{"metadata":{"finalizers":["a","b"]},"spec":{"x":1}}"""), BuiltInTypeSchema.Root);

        string v1 = set.ToFieldsV1().ToJsonString();
        Assert.Equal("""{"f:metadata":{"f:finalizers":{"v:\u0022a\u0022":{},"v:\u0022b\u0022":{}}},"f:spec":{"f:x":{}}}""", v1.Replace("\\u0022", "\\u0022"));
        Assert.Equal(v1, FieldSet.FromFieldsV1(JsonNode.Parse(v1)).ToFieldsV1().ToJsonString());
    }

    [Fact]
    public void PathsArePrintedAsKubernetesPrintsThem()
    {
        Assert.Equal(".spec.template.spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"]",
            PathElements.Describe(["f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"web\"}", "f:ports", "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]));
        Assert.Equal(".metadata.finalizers[=\"a\"]", PathElements.Describe(["f:metadata", "f:finalizers", "v:\"a\""]));
    }

    [Fact]
    public void MergeKeepsLiveFieldsAndMergesListMapsAndSets()
    {
        JsonObject live = Json("""{"metadata":{"finalizers":["a"]},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x","env":[{"name":"E","value":"1"}]},{"name":"b","image":"y"}]}},"replicas":2}}""");
        JsonObject config = Json("""{"metadata":{"finalizers":["b"]},"spec":{"template":{"spec":{"containers":[{"name":"b","image":"z"}]}}}}""");

        JsonObject merged = StructuredMerge.Merge(live, config, BuiltInTypeSchema.Root);

        Assert.Equal("""["a","b"]""", merged["metadata"]!["finalizers"]!.ToJsonString());
        Assert.Equal(2, merged["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("x", merged["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("z", merged["spec"]!["template"]!["spec"]!["containers"]![1]!["image"]!.GetValue<string>());
    }

    [Fact]
    public void AtomicListsAndMapsAreReplaced()
    {
        JsonObject live = Json("""{"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}},"template":{"spec":{"containers":[{"name":"a","command":["x","y"]}]}}}}""");
        JsonObject config = Json("""{"spec":{"selector":{"matchLabels":{"a":"1"}},"template":{"spec":{"containers":[{"name":"a","command":["z"]}]}}}}""");

        JsonObject merged = StructuredMerge.Merge(live, config, BuiltInTypeSchema.Root);

        Assert.Equal("""{"matchLabels":{"a":"1"}}""", merged["spec"]!["selector"]!.ToJsonString());
        Assert.Equal("""["z"]""", merged["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]!.ToJsonString());
    }

    [Fact]
    public void UpdateOwnsWhatTheWriterChangedAndTakesItFromOthers()
    {
        IList<V1ManagedFieldsEntry> created = manager.Update(null, null, Deployment(3), null, "kubectl-create", null, Now);
        JsonObject scaled = Deployment(5);

        IList<V1ManagedFieldsEntry> entries = manager.Update(Deployment(3), created, scaled, created, "hpa", null, Now.AddMinutes(1));

        Assert.Equal(["kubectl-create", "hpa"], entries.Select(e => e.Manager));
        Assert.Equal("""{"f:spec":{"f:replicas":{}}}""", Fields(entries, "hpa"));
        Assert.DoesNotContain("f:replicas", Fields(entries, "kubectl-create"));
        Assert.All(entries, e => Assert.Equal("Update", e.Operation));
        Assert.Equal("apps/v1", entries[1].ApiVersion);
    }

    [Fact]
    public void StatusIsOwnedOnlyThroughTheStatusSubresource()
    {
        JsonObject withStatus = Deployment(3);
        withStatus["status"] = Json("""{"replicas":3}""");

        IList<V1ManagedFieldsEntry> main = manager.Update(null, null, withStatus, null, "creator", null, Now);
        IList<V1ManagedFieldsEntry> status = manager.Update(Deployment(3), main, withStatus, null, "controller", "status", Now);

        Assert.DoesNotContain("f:status", Fields(main, "creator"));
        Assert.Equal("""{"f:status":{"f:replicas":{}}}""", Fields(status, "controller"));
        Assert.Equal("status", status.Single(e => e.Manager == "controller").Subresource);
    }

    [Fact]
    public void AnEmptyListSentResetsTheEntriesAndNoneSentKeepsThem()
    {
        IList<V1ManagedFieldsEntry> created = manager.Update(null, null, Deployment(3), null, "creator", null, Now);

        Assert.Empty(manager.Update(Deployment(3), created, Deployment(3), [], "x", null, Now));
        Assert.Equal(created.Count, manager.Update(Deployment(3), created, Deployment(3), null, "x", null, Now).Count);
    }

    [Fact]
    public void ApplyOfAFieldAnotherManagerOwnsIsAConflictWorded()
    {
        (JsonObject live, IList<V1ManagedFieldsEntry> entries) = manager.Apply([], null, Deployment(3), "alice", null, false, Now);

        StatusException e = Assert.Throws<StatusException>(() => manager.Apply(live, entries, Json("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}"""), "bob", null, false, Now));

        Assert.Equal(409, e.Status.Code);
        Assert.Equal("Conflict", e.Status.Reason);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas", e.Status.Message);
        V1StatusCause cause = Assert.Single(e.Status.Details.Causes);
        Assert.Equal(("FieldManagerConflict", "conflict with \"alice\"", ".spec.replicas"), (cause.Reason, cause.Message, cause.Field));
    }

    [Fact]
    public void ConflictsWithAnUpdaterNameItsVersionAndAreCounted()
    {
        IList<V1ManagedFieldsEntry> entries = manager.Update(null, null, Deployment(3), null, "kubectl-create", null, Now);

        StatusException e = Assert.Throws<StatusException>(() => manager.Apply(Deployment(3), entries, Deployment(5, "nginx:1.26"), "alice", null, false, Now));

        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"kubectl-create\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image",
            e.Status.Message);
    }

    [Fact]
    public void ForceTakesTheFieldAndTheSameValueIsShared()
    {
        (JsonObject live, IList<V1ManagedFieldsEntry> entries) = manager.Apply([], null, Deployment(3), "alice", null, false, Now);

        (JsonObject shared, IList<V1ManagedFieldsEntry> both) = manager.Apply(live, entries, Json("""{"spec":{"replicas":3}}"""), "bob", null, false, Now);
        Assert.Contains("f:replicas", Fields(both, "alice"));
        Assert.Contains("f:replicas", Fields(both, "bob"));

        (JsonObject forced, IList<V1ManagedFieldsEntry> taken) = manager.Apply(shared, both, Json("""{"spec":{"replicas":7}}"""), "carol", null, true, Now);
        Assert.Equal(7, forced["spec"]!["replicas"]!.GetValue<int>());
        Assert.DoesNotContain("f:replicas", Fields(taken, "alice"));
        Assert.DoesNotContain(taken, e => e.Manager == "bob");
        Assert.Equal("""{"f:spec":{"f:replicas":{}}}""", Fields(taken, "carol"));
    }

    [Fact]
    public void AFieldTheApplierStopsSendingIsRemovedUnlessSomeoneElseOwnsIt()
    {
        JsonObject withLabel = Deployment(3);
        withLabel["metadata"]!["labels"]!["tier"] = "front";
        (JsonObject live, IList<V1ManagedFieldsEntry> entries) = manager.Apply([], null, withLabel, "alice", null, false, Now);

        (JsonObject pruned, _) = manager.Apply(live, entries, Deployment(3), "alice", null, false, Now);
        Assert.Null(pruned["metadata"]!["labels"]!["tier"]);

        (JsonObject sharedLive, IList<V1ManagedFieldsEntry> shared) = manager.Apply(live, entries, Json("""{"metadata":{"labels":{"tier":"front"}}}"""), "bob", null, false, Now);
        (JsonObject kept, IList<V1ManagedFieldsEntry> after) = manager.Apply(sharedLive, shared, Deployment(3), "alice", null, false, Now);
        Assert.Equal("front", kept["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.DoesNotContain("f:tier", Fields(after, "alice"));
    }

    [Fact]
    public void RemovingAContainerKeepsOneWhoseFieldsAnotherManagerOwns()
    {
        JsonObject two = Deployment(3);
        ((JsonArray)two["spec"]!["template"]!["spec"]!["containers"]!).Add(Json("""{"name":"side","image":"busybox"}"""));
        (JsonObject live, IList<V1ManagedFieldsEntry> entries) = manager.Apply([], null, two, "alice", null, false, Now);

        (JsonObject one, _) = manager.Apply(live, entries, Deployment(3), "alice", null, false, Now);

        Assert.Single((JsonArray)one["spec"]!["template"]!["spec"]!["containers"]!);
    }

    [Fact]
    public void JsonSchemaPropsSchemaReadsListAndMapTypes()
    {
        var props = new V1JSONSchemaProps
        {
            Type = "object",
            Properties = new Dictionary<string, V1JSONSchemaProps>
            {
                ["items"] = new() { Type = "array", XKubernetesListType = "map", XKubernetesListMapKeys = ["id"], Items = new V1JSONSchemaProps { Type = "object" } },
                ["tags"] = new() { Type = "array", XKubernetesListType = "set" },
                ["ref"] = new() { Type = "object", XKubernetesMapType = "atomic" },
            },
        };
        var schema = new JsonSchemaPropsTypeSchema(props);

        FieldSet set = StructuredMerge.ToFieldSet(Json("""{"items":[{"id":1,"v":"a"}],"tags":["x"],"ref":{"a":1}}"""), schema);

        Assert.True(set.Has(["f:items", "k:{\"id\":1}", "f:v"]));
        Assert.True(set.Has(["f:tags", "v:\"x\""]));
        Assert.True(set.Has(["f:ref"]));
    }

    [Fact]
    public void KubectlsFirstServerSideApplyTakesWhatItsClientSideAppliesSetAndKeepsTheAnnotation()
    {
        JsonObject live = Deployment(3);
        var lastApplied = (JsonObject)Deployment(3).DeepClone();
        live["metadata"]!["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = lastApplied.ToJsonString() };
        IList<V1ManagedFieldsEntry> entries = manager.Update(null, null, live, null, "kubectl-client-side-apply", null, Now);

        (JsonObject merged, IList<V1ManagedFieldsEntry> after) = manager.Apply(live, entries, Deployment(5), "kubectl", null, false, Now);

        Assert.Equal(5, merged["spec"]!["replicas"]!.GetValue<int>());
        Assert.Contains("f:replicas", Fields(after, "kubectl"));
        Assert.Contains("\"replicas\":5", merged["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>());
        Assert.Throws<StatusException>(() => manager.Apply(live, entries, Deployment(5), "someone-else", null, false, Now));
    }

    [Fact]
    public void PastTenUpdatersTheOldestAreMergedIntoAncientChanges()
    {
        JsonObject live = Json("""{"metadata":{"name":"x"},"data":{}}""");
        IList<V1ManagedFieldsEntry>? entries = null;
        for (int i = 0; i < 12; i++)
        {
            var next = (JsonObject)live.DeepClone();
            next["data"]![$"k{i}"] = "v";
            entries = manager.Update(live, entries, next, null, $"writer-{i:00}", null, Now.AddSeconds(i));
            live = next;
        }

        Assert.Equal(10, entries!.Count);
        V1ManagedFieldsEntry ancient = Assert.Single(entries, e => e.Manager == "ancient-changes");
        Assert.Equal("""{"f:data":{"f:k0":{},"f:k1":{},"f:k2":{}}}""", ((JsonObject)ancient.FieldsV1).ToJsonString());
        Assert.DoesNotContain(entries, e => e.Manager is "writer-00" or "writer-01" or "writer-02");
    }
}
