namespace Navarch.Kubelet.Containerd.Registries;

/// <summary>A registry's entry under <c>mirrors</c> in registries.yaml.</summary>
public sealed class RegistryMirror
{
    /// <summary>The endpoints tried in order before the registry's own (default) endpoint.</summary>
    public List<string> Endpoint { get; init; } = [];

    /// <summary>
    /// Regular expressions over the repository path and their replacements (k3s's rewrites), applied when pulling from
    /// <see cref="Endpoint"/> (<see cref="MirrorRewrite"/>).
    /// </summary>
    public Dictionary<string, string> Rewrite { get; init; } = new(StringComparer.Ordinal);
}
