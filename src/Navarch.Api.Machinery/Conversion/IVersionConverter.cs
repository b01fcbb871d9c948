namespace Navarch.Api.Conversion;

/// <summary>
/// Converts between a served version of a resource and the version it is stored in, when they differ
/// (events.k8s.io/v1 Events are stored as core/v1 Events; autoscaling/v1 HPAs as autoscaling/v2).
/// </summary>
public interface IVersionConverter
{
    /// <summary>The model type stored.</summary>
    Type StorageType { get; }

    /// <summary>The served object as the stored version.</summary>
    object ToStorage(object served);

    /// <summary>The stored object as the served version.</summary>
    object FromStorage(object stored);
}
