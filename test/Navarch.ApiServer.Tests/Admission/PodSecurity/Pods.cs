using k8s.Models;

namespace Navarch.ApiServer.Tests.Admission.PodSecurity;

/// <summary>Small pod builders for the check tables.</summary>
internal static class Pods
{
    public static V1Pod Spec(V1PodSpec spec, IDictionary<string, string>? annotations = null) =>
        new() { Metadata = new V1ObjectMeta { Name = "p", Annotations = annotations }, Spec = spec };

    public static V1Pod Containers(params V1Container[] containers) => Spec(new V1PodSpec { Containers = containers });

    public static V1Container C(string name, V1SecurityContext? sc = null) => new() { Name = name, Image = "busybox", SecurityContext = sc };

    /// <summary>A pod that passes restricted:latest: non-root, drop ALL, RuntimeDefault seccomp, no escalation.</summary>
    public static V1Pod Restricted(string name = "ok") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, RunAsUser = 1000, SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
            Containers =
            [
                new V1Container
                {
                    Name = "main",
                    Image = "busybox",
                    SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, Capabilities = new V1Capabilities { Drop = ["ALL"] } },
                },
            ],
        },
    };
}
