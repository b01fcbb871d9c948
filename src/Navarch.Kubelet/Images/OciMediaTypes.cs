namespace Navarch.Kubelet.Images;

/// <summary>The OCI image-spec media types and annotations an image layout uses.</summary>
public static class OciMediaTypes
{
    /// <summary>An image index (index.json).</summary>
    public const string Index = "application/vnd.oci.image.index.v1+json";

    /// <summary>An image manifest.</summary>
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>An image config.</summary>
    public const string Config = "application/vnd.oci.image.config.v1+json";

    /// <summary>A gzip-compressed layer tar.</summary>
    public const string LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>The OCI annotation naming a manifest in an index (the tag).</summary>
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>containerd's annotation with the full image name, which <c>ctr images import</c> uses.</summary>
    public const string ContainerdImageNameAnnotation = "io.containerd.image.name";
}
