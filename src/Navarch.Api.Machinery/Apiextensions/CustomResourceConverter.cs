using System.Text.Json;
using Navarch.Api.Conversion;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// The conversion between one served version of a custom resource and its storage version, as apiextensions-apiserver's
/// storage codec does it: an object read from storage is pruned and defaulted by the schema of the version it was
/// stored in (defaults apply on read, not only on write), converted by the CRD's strategy, then pruned by the served
/// version's schema; an object written is converted to the storage version and pruned by its schema. Objects already
/// in the target version are not sent to the strategy; an object of a version the CRD does not list is refused.
/// </summary>
internal sealed class CustomResourceConverter(
    string group,
    string servedVersion,
    string storageVersion,
    IReadOnlyDictionary<string, StructuralSchema> schemas,
    ICustomResourceConversion conversion) : IVersionConverter
{
    private readonly string _served = $"{group}/{servedVersion}";
    private readonly string _storage = $"{group}/{storageVersion}";

    public Type StorageType => typeof(CustomResource);

    public object ToStorage(object served)
    {
        ThrowIfCallingOut();
        return Completed(ToStorageAsync(served, CancellationToken.None));
    }

    public object FromStorage(object stored)
    {
        ThrowIfCallingOut();
        return Completed(FromStorageAsync([stored], CancellationToken.None))[0];
    }

    public async ValueTask<object> ToStorageAsync(object served, CancellationToken cancellationToken)
    {
        CustomResource copy = Copy((CustomResource)served);
        CheckVersion("to", _storage);
        IReadOnlyList<CustomResource> converted = await ConvertAsync([copy], _storage, cancellationToken);
        Prune(converted[0]);
        return converted[0];
    }

    public async ValueTask<IReadOnlyList<object>> FromStorageAsync(IReadOnlyList<object> stored, CancellationToken cancellationToken)
    {
        var objects = new List<CustomResource>(stored.Count);
        foreach (CustomResource resource in stored.Cast<CustomResource>())
        {
            CheckVersion("from", resource.ApiVersion);
            if (Schema(resource) is { } schema)
            {
                schema.Prune(resource.Content);
                schema.ApplyDefaults(resource.Content);
            }

            objects.Add(resource);
        }

        IReadOnlyList<CustomResource> converted = await ConvertAsync(objects, _served, cancellationToken);
        foreach (CustomResource resource in converted)
        {
            Prune(resource);
        }

        return converted;
    }

    /// <summary>Only the objects not yet in <paramref name="apiVersion"/> go to the strategy; the rest keep their places.</summary>
    private async ValueTask<IReadOnlyList<CustomResource>> ConvertAsync(List<CustomResource> objects, string apiVersion, CancellationToken cancellationToken)
    {
        List<CustomResource> pending = objects.Where(o => o.ApiVersion != apiVersion).ToList();
        if (pending.Count == 0)
        {
            return objects;
        }

        IReadOnlyList<CustomResource> converted = await conversion.ConvertAsync(pending, apiVersion, cancellationToken);
        var result = new List<CustomResource>(objects.Count);
        int next = 0;
        foreach (CustomResource resource in objects)
        {
            result.Add(resource.ApiVersion == apiVersion ? resource : converted[next++]);
        }

        return result;
    }

    private void Prune(CustomResource resource) => Schema(resource)?.Prune(resource.Content);

    private StructuralSchema? Schema(CustomResource resource) =>
        schemas.GetValueOrDefault(resource.ApiVersion[(resource.ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..]);

    /// <summary>apiextensions-apiserver's crConverter refuses versions its CRD does not list (one removed while objects were stored in it).</summary>
    private void CheckVersion(string direction, string apiVersion)
    {
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || apiVersion[..slash] != group || !schemas.ContainsKey(apiVersion[(slash + 1)..]))
        {
            throw ApiErrors.Unclassified($"request to convert CR {direction} an invalid group/version: {apiVersion}");
        }
    }

    /// <summary>The writer's object stays as it was: conversion works on a copy (apiextensions-apiserver's safeConverterWrapper).</summary>
    private static CustomResource Copy(CustomResource resource) => new()
    {
        ApiVersion = resource.ApiVersion,
        Kind = resource.Kind,
        Metadata = JsonSerializer.Deserialize<k8s.Models.V1ObjectMeta>(JsonSerializer.SerializeToUtf8Bytes(resource.Metadata, KubernetesSerialization.Options), KubernetesSerialization.Options)!,
        Content = (System.Text.Json.Nodes.JsonObject)resource.Content.DeepClone(),
    };

    private void ThrowIfCallingOut()
    {
        if (!conversion.InProcess)
        {
            throw new InvalidOperationException($"{_served} custom resources are converted by a webhook: convert them with the asynchronous methods");
        }
    }

    /// <summary>An in-process conversion has completed when it returns; its result without blocking.</summary>
    private static T Completed<T>(ValueTask<T> conversionTask) =>
        conversionTask.IsCompletedSuccessfully ? conversionTask.Result : conversionTask.AsTask().GetAwaiter().GetResult();
}
