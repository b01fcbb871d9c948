using System.Text.RegularExpressions;
using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Containerd.Registries;

/// <summary>
/// registries.yaml's <c>rewrite</c> rules (k3s): when an image is pulled from a mirror of its registry, its repository
/// path is rewritten by the first rule whose regular expression changes it (in the file's order), e.g.
/// <c>"^rancher/(.*)": "mirror/rancher-images/$1"</c>; the registry's own endpoint is asked for the original name.
/// k3s does this in its patched containerd; the stock containerd the agent runs cannot, so the agent asks for the
/// rewritten name itself: under a registry name of its own (<see cref="RegistryFor"/>, one per mirrored registry) whose
/// hosts.toml lists the mirror's endpoints and nothing else, and then names the image as the pod did
/// (<see cref="RewritingImageService"/>).
/// </summary>
public static class MirrorRewrite
{
    /// <summary>The domain under which the rewriting registries are named; .invalid never resolves, so no pull can leave the mirrors.</summary>
    public const string Domain = "rewrite.navarch.invalid";

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The mirrored registries whose mirrors rewrite (with at least one endpoint and one rule), each with the mirror
    /// that serves it; <c>*</c> among them serves every registry without an entry of its own.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, RegistryMirror>> Rewriting(PrivateRegistries registries) =>
        registries.Mirrors.Where(m => m.Value.Endpoint.Count > 0 && m.Value.Rewrite.Count > 0);

    /// <summary>
    /// The registry name whose hosts.toml asks <paramref name="registry"/>'s mirrors for rewritten names: a valid
    /// reference domain of its own (a port's colon and <c>*</c> are not allowed in one).
    /// </summary>
    public static string RegistryFor(string registry) =>
        (registry == "*" ? "default" : registry.Replace(':', '-')) + "." + Domain;

    /// <summary>
    /// The reference to pull <paramref name="image"/> by from its registry's mirrors, with the repository path
    /// rewritten; null when its registry's mirror (its own, else <c>*</c>'s) has no rewrites.
    /// </summary>
    public static string? Rewrite(PrivateRegistries registries, string image)
    {
        ImageName name = ImageName.Parse(image);
        string registry = registries.Mirrors.ContainsKey(name.Domain) ? name.Domain : "*";
        if (!registries.Mirrors.TryGetValue(registry, out RegistryMirror? mirror) || mirror.Endpoint.Count == 0 || mirror.Rewrite.Count == 0)
        {
            return null;
        }

        return (name with { Domain = RegistryFor(registry), Path = RewritePath(mirror, name.Path) }).ToString();
    }

    /// <summary>The repository path by the first rule that changes it; unchanged when none does (k3s's order is Go's map order; here, the file's).</summary>
    public static string RewritePath(RegistryMirror mirror, string path)
    {
        foreach ((string pattern, string replacement) in mirror.Rewrite)
        {
            string rewritten = Regex.Replace(path, pattern, replacement, RegexOptions.CultureInvariant, MatchTimeout);
            if (rewritten != path)
            {
                return rewritten;
            }
        }

        return path;
    }

    /// <summary>Null when <paramref name="pattern"/> is a valid regular expression, else why not.</summary>
    internal static string? Invalid(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
