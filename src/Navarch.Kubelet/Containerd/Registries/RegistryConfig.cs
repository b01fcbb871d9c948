namespace Navarch.Kubelet.Containerd.Registries;

/// <summary>A registry host's entry under <c>configs</c> in registries.yaml.</summary>
public sealed class RegistryConfig
{
    /// <summary>Credentials sent to the host.</summary>
    public RegistryAuthConfig? Auth { get; init; }

    /// <summary>The TLS of connections to the host.</summary>
    public RegistryTlsConfig? Tls { get; init; }
}
