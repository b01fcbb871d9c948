namespace Navarch.Api.Conversion;

/// <summary>
/// Converts between a served version of a resource and the version it is stored in, when they differ
/// (events.k8s.io/v1 Events are stored as core/v1 Events; autoscaling/v1 HPAs as autoscaling/v2; a custom resource's
/// versions as its storage version, by its CRD's conversion strategy).
/// </summary>
/// <remarks>
/// The API server converts through the asynchronous methods, since a conversion may call out (a CRD's conversion
/// webhook). The synchronous ones serve in-process conversions only; a converter that calls out throws from them.
/// </remarks>
public interface IVersionConverter
{
    /// <summary>The model type stored.</summary>
    Type StorageType { get; }

    /// <summary>The served object as the stored version.</summary>
    object ToStorage(object served);

    /// <summary>The stored object as the served version.</summary>
    object FromStorage(object stored);

    /// <summary>The served object as the stored version.</summary>
    ValueTask<object> ToStorageAsync(object served, CancellationToken cancellationToken) => ValueTask.FromResult(ToStorage(served));

    /// <summary>Stored objects as the served version, in order (one call for a page, as a conversion webhook takes a list).</summary>
    ValueTask<IReadOnlyList<object>> FromStorageAsync(IReadOnlyList<object> stored, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<object>>([.. stored.Select(FromStorage)]);
}
