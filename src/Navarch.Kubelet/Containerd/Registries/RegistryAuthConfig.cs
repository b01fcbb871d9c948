namespace Navarch.Kubelet.Containerd.Registries;

/// <summary>A registry host's credentials (registries.yaml's <c>configs.HOST.auth</c>).</summary>
public sealed class RegistryAuthConfig
{
    /// <summary>The user name.</summary>
    public string? Username { get; init; }

    /// <summary>The password.</summary>
    public string? Password { get; init; }

    /// <summary>base64 of <c>user:password</c>, as in a docker config.</summary>
    public string? Auth { get; init; }

    /// <summary>A token used in place of a password.</summary>
    public string? IdentityToken { get; init; }
}
