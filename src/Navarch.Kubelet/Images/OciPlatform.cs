using System.Runtime.InteropServices;

namespace Navarch.Kubelet.Images;

/// <summary>This machine as OCI and Kubernetes name platforms.</summary>
public static class OciPlatform
{
    /// <summary>The GOARCH-style name of this machine's architecture (amd64, arm64, ...).</summary>
    public static string CurrentArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        Architecture other => other.ToString().ToLowerInvariant(),
    };
}
