namespace Navarch.Kubelet.Images;

/// <summary>Image reference parsing, as the Kubernetes and Docker reference rules have it.</summary>
public static class ImageReference
{
    /// <summary>The tag of a reference (<c>latest</c> when none and no digest; empty when pinned by digest only).</summary>
    public static string Tag(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        string name = reference.Split('@')[0];
        int slash = name.LastIndexOf('/');
        int colon = name.LastIndexOf(':');
        if (colon > slash)
        {
            return name[(colon + 1)..];
        }

        return reference.Contains('@', StringComparison.Ordinal) ? "" : "latest";
    }

    /// <summary>
    /// The default imagePullPolicy of a container image: Always for <c>:latest</c> or no tag, IfNotPresent otherwise
    /// (an image pinned by digest included).
    /// </summary>
    public static string DefaultPullPolicy(string reference) =>
        Tag(reference) == "latest" ? "Always" : "IfNotPresent";
}
