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
    /// <summary>The store value of <paramref name="obj"/>, converted to the storage version (in-process conversions only).</summary>
    public static byte[] Encode(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj)
    {
        string? rv = obj.Metadata.ResourceVersion;
        obj.Metadata.ResourceVersion = null;
        try
        {
            return Serialize(definition.Converter?.ToStorage(obj) ?? obj);
        }
        finally
        {
            obj.Metadata.ResourceVersion = rv;
        }
    }

    /// <summary>The store value of <paramref name="obj"/>, converted to the storage version (a CRD's conversion webhook may be called).</summary>
    public static async ValueTask<byte[]> EncodeAsync(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken)
    {
        string? rv = obj.Metadata.ResourceVersion;
        obj.Metadata.ResourceVersion = null;
        try
        {
            return Serialize(definition.Converter is { } converter ? await converter.ToStorageAsync(obj, cancellationToken) : obj);
        }
        finally
        {
            obj.Metadata.ResourceVersion = rv;
        }
    }

    /// <summary>A stored value as the definition's version (in-process conversions only), its resourceVersion set.</summary>
    public static IKubernetesObject<V1ObjectMeta> Decode(ResourceDefinition definition, KeyValue kv)
    {
        object stored = Deserialize(definition, kv);
        return Versioned(definition.Converter?.FromStorage(stored) ?? stored, kv);
    }

    /// <summary>A stored value as the definition's version, its resourceVersion set (a CRD's conversion webhook may be called).</summary>
    public static async ValueTask<IKubernetesObject<V1ObjectMeta>> DecodeAsync(ResourceDefinition definition, KeyValue kv, CancellationToken cancellationToken)
    {
        object stored = Deserialize(definition, kv);
        return Versioned(definition.Converter is { } converter ? (await converter.FromStorageAsync([stored], cancellationToken))[0] : stored, kv);
    }

    /// <summary>Stored values as the definition's version, in order, converted in one call (one ConversionReview for a page).</summary>
    public static async ValueTask<List<IKubernetesObject<V1ObjectMeta>>> DecodeAllAsync(ResourceDefinition definition, IReadOnlyList<KeyValue> kvs, CancellationToken cancellationToken)
    {
        var stored = new List<object>(kvs.Count);
        foreach (KeyValue kv in kvs)
        {
            stored.Add(Deserialize(definition, kv));
        }

        IReadOnlyList<object> objects = definition.Converter is { } converter && stored.Count > 0 ? await converter.FromStorageAsync(stored, cancellationToken) : stored;
        var result = new List<IKubernetesObject<V1ObjectMeta>>(kvs.Count);
        for (int i = 0; i < kvs.Count; i++)
        {
            result.Add(Versioned(objects[i], kvs[i]));
        }

        return result;
    }

    /// <summary>The current object <paramref name="ns"/>/<paramref name="name"/> from the store, or null when there is none.</summary>
    public static async Task<IKubernetesObject<V1ObjectMeta>?> ReadAsync(IStore store, ResourceDefinition definition, string? ns, string name, CancellationToken cancellationToken)
    {
        KeyValue? kv = await store.GetAsync(definition.Key(ns, name), 0, cancellationToken).ConfigureAwait(false);
        return kv is null ? null : await DecodeAsync(definition, kv, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Serialize(object stored) => JsonSerializer.SerializeToUtf8Bytes(stored, stored.GetType(), KubernetesSerialization.Options);

    private static object Deserialize(ResourceDefinition definition, KeyValue kv) =>
        JsonSerializer.Deserialize(kv.Value, definition.Converter?.StorageType ?? definition.ClrType, KubernetesSerialization.Options)
            ?? throw new InvalidOperationException($"stored value of {kv.Key} is null");

    private static IKubernetesObject<V1ObjectMeta> Versioned(object obj, KeyValue kv)
    {
        var versioned = (IKubernetesObject<V1ObjectMeta>)obj;
        versioned.Metadata.ResourceVersion = kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return versioned;
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
        if (obj is Navarch.Api.Apiextensions.CustomResource)
        {
            return GoFieldOrder.Sorted(node)!;
        }

        if (node is JsonObject fields)
        {
            foreach (string name in ValueStructFields(obj.GetType()))
            {
                if (fields[name] is null)
                {
                    fields[name] = new JsonObject();
                }
            }

            GoFieldOrder.Typed(fields);
        }

        return node;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string[]> StructFields = new();

    /// <summary>The JSON names of the fields of <paramref name="type"/> that a response always has (an empty spec or status is <c>{}</c>).</summary>
    public static IReadOnlyList<string> ValueStructFields(Type type) => StructFields.GetOrAdd(type, StructFieldsOf);

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
