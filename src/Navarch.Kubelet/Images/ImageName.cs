namespace Navarch.Kubelet.Images;

/// <summary>
/// An image reference split as docker's reference package normalizes it (<c>ParseNormalizedNamed</c>): the registry
/// domain (<c>docker.io</c> when the first component is not a host), the repository path (<c>library/</c> before a
/// one-component docker.io name), and the tag and digest when given.
/// </summary>
public sealed record ImageName(string Domain, string Path, string? Tag, string? Digest)
{
    /// <summary>Docker Hub's canonical domain.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>Splits <paramref name="reference"/>; the parts are not validated beyond their separators.</summary>
    public static ImageName Parse(string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        string name = reference;
        string? digest = null;
        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = name[(at + 1)..];
            name = name[..at];
        }

        string? tag = null;
        int colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }

        // The first component is a registry host when it looks like one: a dot, a port, or localhost.
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        string domain = DockerHub;
        string path = name;
        if (slash > 0 && (name[..slash].Contains('.', StringComparison.Ordinal) || name[..slash].Contains(':', StringComparison.Ordinal) || name[..slash] == "localhost"))
        {
            domain = name[..slash] == "index.docker.io" ? DockerHub : name[..slash];
            path = name[(slash + 1)..];
        }

        if (domain == DockerHub && !path.Contains('/', StringComparison.Ordinal))
        {
            path = "library/" + path;
        }

        return new ImageName(domain, path, tag, digest);
    }

    /// <summary>The full reference: <c>domain/path[:tag][@digest]</c>.</summary>
    public override string ToString() => $"{Domain}/{Path}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";
}
