using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Quantities;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// Turns API objects into store values and back. The stored value never carries a resourceVersion: that is the
/// store's modRevision, set on every object on the way out.
/// </summary>
internal static class ObjectCodec
{
    public static byte[] Encode(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj)
    {
        string? rv = obj.Metadata.ResourceVersion;
        obj.Metadata.ResourceVersion = null;
        try
        {
            object stored = definition.Converter?.ToStorage(obj) ?? obj;
            return JsonSerializer.SerializeToUtf8Bytes(stored, stored.GetType(), KubernetesSerialization.Options);
        }
        finally
        {
            obj.Metadata.ResourceVersion = rv;
        }
    }

    public static IKubernetesObject<V1ObjectMeta> Decode(ResourceDefinition definition, KeyValue kv)
    {
        object stored = JsonSerializer.Deserialize(kv.Value, definition.Converter?.StorageType ?? definition.ClrType, KubernetesSerialization.Options)
            ?? throw new InvalidOperationException($"stored value of {kv.Key} is null");
        var obj = (IKubernetesObject<V1ObjectMeta>)(definition.Converter?.FromStorage(stored) ?? stored);
        obj.Metadata.ResourceVersion = kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return obj;
    }

    /// <summary>The current object <paramref name="ns"/>/<paramref name="name"/> from the store, or null when there is none.</summary>
    public static async Task<IKubernetesObject<V1ObjectMeta>?> ReadAsync(IStore store, ResourceDefinition definition, string? ns, string name, CancellationToken cancellationToken)
    {
        KeyValue? kv = await store.GetAsync(definition.Key(ns, name), 0, cancellationToken).ConfigureAwait(false);
        return kv is null ? null : Decode(definition, kv);
    }

    public static JsonNode ToNode(object obj) =>
        JsonSerializer.SerializeToNode(obj, obj.GetType(), KubernetesSerialization.Options) ?? new JsonObject();

    /// <summary>
    /// An object as kube-apiserver writes it to a client: Go's encoder writes a struct field that is not a pointer
    /// even when it is empty, and every built-in kind's spec and status are such structs — so a Deployment created
    /// without a status reads back with <c>"status":{}</c>, and clients that read <c>.status.x</c> find an object.
    /// </summary>
    public static JsonNode ToResponseNode(IKubernetesObject<V1ObjectMeta> obj)
    {
        JsonNode node = ToNode(obj);
        if (node is JsonObject fields)
        {
            foreach (string name in StructFields.GetOrAdd(obj.GetType(), StructFieldsOf))
            {
                if (fields[name] is null)
                {
                    fields[name] = new JsonObject();
                }
            }
        }

        return node;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string[]> StructFields = new();

    /// <summary>The JSON names of a kind's spec and status when they are model objects (not a CRD's free-form ones).</summary>
    private static string[] StructFieldsOf(Type type) =>
        type.GetProperties()
            .Where(p => p.Name is "Spec" or "Status" && p.PropertyType.IsClass && p.PropertyType.Namespace == typeof(V1ObjectMeta).Namespace)
            .Select(p => p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false).OfType<System.Text.Json.Serialization.JsonPropertyNameAttribute>().FirstOrDefault()?.Name ?? p.Name.ToLowerInvariant())
            .ToArray();

    public static IKubernetesObject<V1ObjectMeta> FromNode(ResourceDefinition definition, JsonNode node, bool strict)
    {
        try
        {
            return (IKubernetesObject<V1ObjectMeta>)(node.Deserialize(definition.ClrType, strict ? KubernetesSerialization.IncomingStrict : KubernetesSerialization.Incoming)
                ?? throw ApiErrors.BadRequest("the request body is null"));
        }
        catch (JsonException e) when (e.InnerException is QuantityFormatException)
        {
            // What kube-apiserver answers when a quantity does not decode.
            throw ApiErrors.BadRequest($"{definition.Kind} in version \"{definition.Version}\" cannot be handled as a {definition.Kind}: {e.InnerException.Message}");
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest(DecodeMessage(e, strict));
        }
        catch (FormatException e)
        {
            throw ApiErrors.BadRequest($"unable to decode the request body: {e.Message}");
        }
    }

    /// <summary>Kubernetes' wording: <c>strict decoding error: unknown field "spec.foo"</c>.</summary>
    private static string DecodeMessage(JsonException e, bool strict)
    {
        string path = (e.Path ?? "$").TrimStart('$').TrimStart('.');
        if (strict && e.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return $"strict decoding error: unknown field \"{path}\"";
        }

        if (strict && e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return $"strict decoding error: duplicate field \"{path}\"";
        }

        return $"unable to decode the request body: {(path.Length > 0 ? path + ": " : "")}{e.Message.Split(" Path:")[0]}";
    }

    /// <summary>A deep copy through JSON, so a cached object is never mutated.</summary>
    public static IKubernetesObject<V1ObjectMeta> Clone(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj) =>
        (IKubernetesObject<V1ObjectMeta>)JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(obj, definition.ClrType, KubernetesSerialization.Options), definition.ClrType, KubernetesSerialization.Options)!;
}
