namespace Navarch.Manifests;

/// <summary>A manifest document the API server refused; <see cref="Retry"/> when trying again may succeed.</summary>
internal sealed class ApplyException(string message, bool retry) : Exception(message)
{
    /// <summary>True for transient refusals (5xx, 409, 429).</summary>
    public bool Retry { get; } = retry;
}
