using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api.Resources;
using Navarch.Api.Serialization;

namespace Navarch.Api.Machinery.Tests.Serialization;

/// <summary>
/// Every built-in kind of the catalog survives JSON → protobuf → JSON with every field of its model set (objects and
/// lists), so a field the generated messages lack, or one converted wrong, fails here — and a kind added to the catalog
/// is covered without a change.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KubernetesProtobufTests
{
    // Navarch's own groups and the metrics API have no generated.proto; they are served in JSON only.
    private static readonly string[] JsonOnlyGroups = ["metrics.k8s.io", "logging.navarch.io"];

    // Kind and version first: xunit names a case by the first 50 characters of its argument, and two cases named alike
    // are counted as one test run twice.
    private static string Id(ResourceDefinition d) => $"{d.Kind} {d.Version} {d.Group}";

    public static TheoryData<string> Kinds()
    {
        var data = new TheoryData<string>();
        foreach (ResourceDefinition d in ResourceCatalog.Default.All.Where(d => !JsonOnlyGroups.Contains(d.Group)))
        {
            data.Add(Id(d));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_populated_object_and_its_list_round_trip_through_protobuf(string id)
    {
        foreach ((JsonObject json, Type type) in PopulatedJson(id))
        {
            byte[] wire = KubernetesProtobuf.Encode(json);
            JsonObject back = KubernetesProtobuf.Decode(wire, goZeros: false);

            Assert.Equal(Canonical(json, type), Canonical(back, type));
        }
    }

    /// <summary>The kind's object and its list with every field of their models set, as JSON.</summary>
    private static IEnumerable<(JsonObject Json, Type Type)> PopulatedJson(string id)
    {
        ResourceDefinition definition = ResourceCatalog.Default.All.Single(d => Id(d) == id);
        string apiVersion = definition.Group.Length == 0 ? definition.Version : $"{definition.Group}/{definition.Version}";
        foreach ((Type type, string kind) in new[] { (definition.ClrType, definition.Kind), (definition.ListClrType, definition.ListKind) }.Distinct())
        {
            object populated = Populate(type, depth: 0);
            // The models' one field newer than the generated.proto Navarch compiles (a response with it set goes out
            // as JSON; see Responder).
            if (populated is V1Node node)
            {
                node.Status.NodeInfo.RunningInUserNamespace = null;
            }
            else if (populated is V1NodeList nodes)
            {
                nodes.Items[0].Status.NodeInfo.RunningInUserNamespace = null;
            }

            type.GetProperty("ApiVersion")!.SetValue(populated, apiVersion);
            type.GetProperty("Kind")!.SetValue(populated, kind);
            yield return (JsonSerializer.SerializeToNode(populated, type, KubernetesSerialization.Options)!.AsObject(), type);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_wire_form_is_the_generated_messages_own(string id)
    {
        // The generated code writes fields in field number order and keeps what it read, so a message parsed from
        // the writer's bytes and written again gives the same bytes only if they are in Go's order, with nothing the
        // message does not know (unknown fields would come back, but as they were — the round trip above catches them).
        foreach ((JsonObject json, _) in PopulatedJson(id))
        {
            byte[] wire = KubernetesProtobuf.Encode(json);
            var unknown = Protobuf.K8s.Apimachinery.Pkg.Runtime.Unknown.Parser.ParseFrom(wire.AsSpan(4));
            Google.Protobuf.IMessage message = ProtobufMessages.Find(unknown.TypeMeta.ApiVersion, unknown.TypeMeta.Kind)!.Parser.ParseFrom(unknown.Raw);

            Assert.Equal(unknown.Raw.ToByteArray(), Google.Protobuf.MessageExtensions.ToByteArray(message));
            byte[] rewritten = [.. "k8s\0"u8.ToArray(), .. Google.Protobuf.MessageExtensions.ToByteArray(unknown)];
            Assert.Equal(rewritten, wire);
        }
    }

    [Fact]
    public void Map_entries_go_out_sorted_by_key_and_escaped_strings_are_decoded_as_Go_does()
    {
        JsonObject json = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"caf\u00e9 \"q\"","labels":{"b":"2","a":"1","ab":"3"}},
             "data":{"long":"LONG"}}
            """.Replace("LONG", new string('x', 300), StringComparison.Ordinal))!.AsObject();

        byte[] wire = KubernetesProtobuf.Encode(json);

        var unknown = Protobuf.K8s.Apimachinery.Pkg.Runtime.Unknown.Parser.ParseFrom(wire.AsSpan(4));
        var configMap = Protobuf.K8s.Api.Core.V1.ConfigMap.Parser.ParseFrom(unknown.Raw);
        Assert.Equal("café \"q\"", configMap.Metadata.Name);
        Assert.Equal(["a", "ab", "b"], configMap.Metadata.Labels.Keys);
        Assert.Equal(300, configMap.Data["long"].Length);
        // Re-written by the generated code (which keeps the order it read): the same bytes.
        Assert.Equal(unknown.Raw.ToByteArray(), Google.Protobuf.MessageExtensions.ToByteArray(configMap));
    }

    [Fact]
    public void Every_served_built_in_kind_outside_the_JSON_only_groups_has_a_message()
    {
        Assert.All(
            ResourceCatalog.Default.All.Where(d => !JsonOnlyGroups.Contains(d.Group)),
            d => Assert.True(KubernetesProtobuf.Supports(d.Group.Length == 0 ? d.Version : $"{d.Group}/{d.Version}", d.Kind), d.Kind));
        Assert.True(KubernetesProtobuf.Supports("v1", "Status"));
        Assert.False(KubernetesProtobuf.Supports("example.com/v1", "Widget"));
    }

    [Fact]
    public void A_Go_clients_zero_values_mean_unset_and_its_zero_time_is_null()
    {
        var pdb = new Protobuf.K8s.Api.Policy.V1.PodDisruptionBudget
        {
            Metadata = new Protobuf.K8s.Apimachinery.Pkg.Apis.Meta.V1.ObjectMeta { Name = "pdb", GenerateName = "", Namespace = "", CreationTimestamp = new() },
            Spec = new Protobuf.K8s.Api.Policy.V1.PodDisruptionBudgetSpec { MinAvailable = new Protobuf.K8s.Apimachinery.Pkg.Util.Intstr.IntOrString { Type = 1, StrVal = "50%" } },
        };
        byte[] wire = Wrap("policy/v1", "PodDisruptionBudget", Google.Protobuf.MessageExtensions.ToByteArray(pdb));

        JsonObject json = KubernetesProtobuf.Decode(wire, goZeros: true);

        Assert.Equal("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"pdb"},"spec":{"minAvailable":"50%"}}""", json.ToJsonString());
    }

    [Fact]
    public void Data_that_is_not_an_envelope_or_names_an_unknown_kind_is_refused()
    {
        Assert.Throws<FormatException>(() => KubernetesProtobuf.Decode("{}"u8, goZeros: true));
        Assert.Throws<FormatException>(() => KubernetesProtobuf.Decode(Wrap("example.com/v1", "Widget", []), goZeros: true));
        Assert.Throws<FormatException>(() => KubernetesProtobuf.Encode(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["bogus"] = 1 }));
    }

    private static byte[] Wrap(string apiVersion, string kind, byte[] raw)
    {
        var unknown = new Protobuf.K8s.Apimachinery.Pkg.Runtime.Unknown
        {
            TypeMeta = new Protobuf.K8s.Apimachinery.Pkg.Runtime.TypeMeta { ApiVersion = apiVersion, Kind = kind },
            Raw = Google.Protobuf.ByteString.CopyFrom(raw),
        };
        return [.. "k8s\0"u8.ToArray(), .. Google.Protobuf.MessageExtensions.ToByteArray(unknown)];
    }

    /// <summary>Both sides read into the model and written again, so field order and number formats do not matter.</summary>
    private static string Canonical(JsonObject json, Type type)
    {
        // Embedded objects (a list's items, a StatefulSet's claim templates) carry no apiVersion and kind in protobuf:
        // Go's TypeMeta is not in their messages.
        foreach (JsonObject embedded in Descendants(json).Skip(1).Where(o => o.ContainsKey("metadata")))
        {
            embedded.Remove("apiVersion");
            embedded.Remove("kind");
        }

        return JsonSerializer.Serialize(json.Deserialize(type, KubernetesSerialization.Options), type, KubernetesSerialization.Options);
    }

    private static IEnumerable<JsonObject> Descendants(JsonNode? node) => node switch
    {
        JsonObject obj => new[] { obj }.Concat(obj.SelectMany(p => Descendants(p.Value))),
        JsonArray array => array.SelectMany(Descendants),
        _ => [],
    };

    /// <summary>An instance of a model type with every property set (one element per list and map), a few levels deep.</summary>
    private static object Populate(Type type, int depth)
    {
        object instance = Activator.CreateInstance(type)!;
        foreach (PropertyInfo property in type.GetProperties().Where(p => p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            if (Value(property.PropertyType, depth + 1) is { } value)
            {
                property.SetValue(instance, value);
            }
        }

        return instance;
    }

    private static object? Value(Type type, int depth)
    {
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        if (depth > 7)
        {
            return null;
        }

        if (t == typeof(string))
        {
            return "x";
        }

        if (t == typeof(bool))
        {
            return true;
        }

        if (t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float))
        {
            return Convert.ChangeType(3, t, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (t == typeof(DateTime))
        {
            return new DateTime(2026, 12, 7, 15, 20, 3, DateTimeKind.Utc);
        }

        if (t == typeof(byte[]))
        {
            return new byte[] { 1, 2, 3 };
        }

        if (t == typeof(ResourceQuantity))
        {
            return new ResourceQuantity("250m");
        }

        if (t == typeof(IntOrString))
        {
            return (IntOrString)"50%";
        }

        if (t == typeof(object))
        {
            // An empty struct's model type, or a RawExtension: an empty object fits both.
            return new Dictionary<string, object>();
        }

        if (t.IsGenericType && t.GetGenericTypeDefinition() is { } generic && (generic == typeof(IList<>) || generic == typeof(List<>)))
        {
            Type element = t.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            if (Value(element, depth) is { } item)
            {
                list.Add(item);
            }

            return list.Count == 0 ? null : list;
        }

        if (t.IsGenericType && t.GetGenericTypeDefinition() is { } map && (map == typeof(IDictionary<,>) || map == typeof(Dictionary<,>)))
        {
            Type element = t.GetGenericArguments()[1];
            var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(t.GetGenericArguments()))!;
            if (Value(element, depth) is { } item)
            {
                dictionary["k"] = item;
            }

            return dictionary.Count == 0 ? null : dictionary;
        }

        return t.IsClass && t.Namespace == "k8s.Models" ? Populate(t, depth) : null;
    }
}
