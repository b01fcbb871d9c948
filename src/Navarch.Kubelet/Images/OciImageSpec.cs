namespace Navarch.Kubelet.Images;

/// <summary>What to build into an OCI image: a root filesystem folder and the image's run configuration.</summary>
public sealed class OciImageSpec
{
    /// <summary>The full image reference, e.g. <c>docker.io/library/busybox:1.35</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The folder that becomes the image's root filesystem (one layer).</summary>
    public required string RootDirectory { get; init; }

    /// <summary>The entrypoint (may be empty).</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    /// <summary>The default arguments (Docker's CMD).</summary>
    public IReadOnlyList<string> Cmd { get; init; } = [];

    /// <summary>Environment as NAME=VALUE; PATH gets the usual default when missing.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>The working directory, or empty for /.</summary>
    public string WorkingDir { get; init; } = "";

    /// <summary>The OCI architecture (amd64, arm64); defaults to this machine's.</summary>
    public string Architecture { get; init; } = OciPlatform.CurrentArchitecture;
}
