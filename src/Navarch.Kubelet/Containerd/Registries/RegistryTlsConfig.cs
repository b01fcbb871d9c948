namespace Navarch.Kubelet.Containerd.Registries;

/// <summary>A registry host's TLS (registries.yaml's <c>configs.HOST.tls</c>).</summary>
public sealed class RegistryTlsConfig
{
    /// <summary>The CA bundle the host's certificate must chain to.</summary>
    public string? CaFile { get; init; }

    /// <summary>The client certificate presented to the host.</summary>
    public string? CertFile { get; init; }

    /// <summary>The key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Whether the host's certificate goes unchecked.</summary>
    public bool InsecureSkipVerify { get; init; }
}
