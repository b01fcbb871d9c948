using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// The CRI security contexts of a pod's sandbox and containers, as the kubelet's kuberuntime/security_context.go
/// builds them: the container's settings with the pod's as fallback (user, group), capabilities add/drop as given,
/// no_new_privs when allowPrivilegeEscalation is false, privileged, read-only root, supplemental groups (fsGroup
/// first), host namespaces, seccomp (the container's profile, else the pod's, else Unconfined — the kubelet's
/// default without --seccomp-default), and the /proc masks of procMount (none when Unmasked).
/// </summary>
internal static class SecurityContexts
{
    /// <summary>Where Localhost seccomp profiles are looked up: the kubelet's (and k3s's) default root-dir/seccomp.</summary>
    public const string SeccompProfileRoot = "/var/lib/kubelet/seccomp";

    // The kubelet's defaults (pkg/securitycontext/util.go), kept in step with the container runtimes'.
    private static readonly string[] DefaultMaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] DefaultReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>The sandbox's: privileged when any container is, RuntimeDefault seccomp (so pod-level profiles can be tighter), the pod's user and groups.</summary>
    public static LinuxSandboxSecurityContext Sandbox(V1Pod pod)
    {
        V1PodSpec spec = pod.Spec;
        V1PodSecurityContext? psc = spec.SecurityContext;
        var result = new LinuxSandboxSecurityContext
        {
            NamespaceOptions = Namespaces(spec),
            Privileged = (spec.InitContainers ?? []).Concat(spec.Containers ?? []).Any(c => c.SecurityContext?.Privileged == true),
            Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
        };
        if (psc?.RunAsUser is long uid)
        {
            result.RunAsUser = new Int64Value { Value = uid };
        }

        if (psc?.RunAsGroup is long gid)
        {
            result.RunAsGroup = new Int64Value { Value = gid };
        }

        result.SupplementalGroups.AddRange(SupplementalGroups(psc));
        return result;
    }

    /// <summary>The container's effective security context.</summary>
    public static LinuxContainerSecurityContext Container(V1Pod pod, V1Container container)
    {
        V1SecurityContext? sc = container.SecurityContext;
        V1PodSecurityContext? psc = pod.Spec.SecurityContext;
        bool privileged = sc?.Privileged == true;
        var result = new LinuxContainerSecurityContext
        {
            NamespaceOptions = Namespaces(pod.Spec),
            Privileged = privileged,
            ReadonlyRootfs = sc?.ReadOnlyRootFilesystem == true,
            NoNewPrivs = sc?.AllowPrivilegeEscalation == false,
            Seccomp = Seccomp(sc?.SeccompProfile ?? psc?.SeccompProfile),
        };
        if ((sc?.RunAsUser ?? psc?.RunAsUser) is long uid)
        {
            result.RunAsUser = new Int64Value { Value = uid };
        }

        if ((sc?.RunAsGroup ?? psc?.RunAsGroup) is long gid)
        {
            result.RunAsGroup = new Int64Value { Value = gid };
        }

        result.SupplementalGroups.AddRange(SupplementalGroups(psc));
        if (sc?.Capabilities is { } caps)
        {
            result.Capabilities = new Capability();
            result.Capabilities.AddCapabilities.AddRange(caps.Add ?? []);
            result.Capabilities.DropCapabilities.AddRange(caps.Drop ?? []);
        }

        // An Unmasked /proc gets no masked or read-only paths (the runtime also drops them for privileged containers).
        if (sc?.ProcMount != "Unmasked")
        {
            result.MaskedPaths.AddRange(DefaultMaskedPaths);
            result.ReadonlyPaths.AddRange(DefaultReadonlyPaths);
        }

        return result;
    }

    /// <summary>The kubelet's fieldSeccompProfile: RuntimeDefault, Localhost under the profile root, else Unconfined.</summary>
    internal static SecurityProfile Seccomp(V1SeccompProfile? profile) => profile?.Type switch
    {
        "RuntimeDefault" => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
        "Localhost" when profile.LocalhostProfile is { Length: > 0 } local =>
            new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Localhost, LocalhostRef = Path.Combine(SeccompProfileRoot, local) },
        "Localhost" => throw new ContainerConfigException("localhostProfile must be set if seccompProfile type is Localhost."),
        _ => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Unconfined },
    };

    private static NamespaceOption Namespaces(V1PodSpec spec) => new()
    {
        Network = spec.HostNetwork == true ? NamespaceMode.Node : NamespaceMode.Pod,
        Pid = spec.HostPID == true ? NamespaceMode.Node : spec.ShareProcessNamespace == true ? NamespaceMode.Pod : NamespaceMode.Container,
        Ipc = spec.HostIPC == true ? NamespaceMode.Node : NamespaceMode.Pod,
    };

    /// <summary>fsGroup, then the pod's supplementalGroups: extra groups of every process in the pod.</summary>
    private static IEnumerable<long> SupplementalGroups(V1PodSecurityContext? psc)
    {
        var groups = new List<long>();
        if (psc?.FsGroup is long fsGroup)
        {
            groups.Add(fsGroup);
        }

        groups.AddRange((psc?.SupplementalGroups ?? []).OfType<long>().Where(g => !groups.Contains(g)));
        return groups;
    }
}
