using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Tests;

/// <summary>The CRI security contexts the kubelet derives from a pod, field by field, without a runtime.</summary>
[Trait("Category", "Unit")]
public sealed class SecurityContextsTests
{
    private static V1Pod Pod(V1PodSecurityContext? pod, V1SecurityContext? container, V1SecurityContext? init = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "u" },
        Spec = new V1PodSpec
        {
            SecurityContext = pod,
            InitContainers = init is null ? null : [new V1Container { Name = "init", SecurityContext = init }],
            Containers = [new V1Container { Name = "c", SecurityContext = container }],
        },
    };

    [Fact]
    public void Seccomp_comes_from_the_container_then_the_pod_else_unconfined()
    {
        var localhost = new V1SeccompProfile { Type = "Localhost", LocalhostProfile = "profiles/audit.json" };
        V1Pod pod = Pod(new V1PodSecurityContext { SeccompProfile = localhost }, new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } });
        Assert.Equal(SecurityProfile.Types.ProfileType.RuntimeDefault, SecurityContexts.Container(pod, pod.Spec.Containers[0]).Seccomp.ProfileType);

        pod = Pod(new V1PodSecurityContext { SeccompProfile = localhost }, null);
        SecurityProfile fromPod = SecurityContexts.Container(pod, pod.Spec.Containers[0]).Seccomp;
        Assert.Equal(SecurityProfile.Types.ProfileType.Localhost, fromPod.ProfileType);
        Assert.Equal("/var/lib/kubelet/seccomp/profiles/audit.json", fromPod.LocalhostRef);

        pod = Pod(null, null);
        Assert.Equal(SecurityProfile.Types.ProfileType.Unconfined, SecurityContexts.Container(pod, pod.Spec.Containers[0]).Seccomp.ProfileType);
        Assert.Equal(SecurityProfile.Types.ProfileType.Unconfined, SecurityContexts.Seccomp(new V1SeccompProfile { Type = "Unconfined" }).ProfileType);
        Assert.Throws<ContainerConfigException>(() => SecurityContexts.Seccomp(new V1SeccompProfile { Type = "Localhost" }));
    }

    [Fact]
    public void ProcMount_Unmasked_drops_the_masked_and_read_only_paths()
    {
        V1Pod pod = Pod(null, new V1SecurityContext { ProcMount = "Default" });
        LinuxContainerSecurityContext masked = SecurityContexts.Container(pod, pod.Spec.Containers[0]);
        Assert.Contains("/proc/kcore", masked.MaskedPaths);
        Assert.Contains("/proc/sys", masked.ReadonlyPaths);

        pod = Pod(null, new V1SecurityContext { ProcMount = "Unmasked" });
        LinuxContainerSecurityContext unmasked = SecurityContexts.Container(pod, pod.Spec.Containers[0]);
        Assert.Empty(unmasked.MaskedPaths);
        Assert.Empty(unmasked.ReadonlyPaths);
    }

    [Fact]
    public void Users_groups_capabilities_and_no_new_privs_follow_the_effective_context()
    {
        V1Pod pod = Pod(
            new V1PodSecurityContext { RunAsUser = 1000, RunAsGroup = 3000, FsGroup = 2000, SupplementalGroups = [4000, 2000] },
            new V1SecurityContext { RunAsUser = 1001, AllowPrivilegeEscalation = false, ReadOnlyRootFilesystem = true, Capabilities = new V1Capabilities { Drop = ["ALL"], Add = ["NET_BIND_SERVICE"] } });
        LinuxContainerSecurityContext sc = SecurityContexts.Container(pod, pod.Spec.Containers[0]);
        Assert.Equal(1001, sc.RunAsUser.Value);
        Assert.Equal(3000, sc.RunAsGroup.Value);
        Assert.Equal([2000L, 4000L], sc.SupplementalGroups);
        Assert.True(sc.NoNewPrivs);
        Assert.True(sc.ReadonlyRootfs);
        Assert.Equal(["ALL"], sc.Capabilities.DropCapabilities);
        Assert.Equal(["NET_BIND_SERVICE"], sc.Capabilities.AddCapabilities);

        // allowPrivilegeEscalation unset or true leaves no_new_privs off.
        pod = Pod(null, new V1SecurityContext { AllowPrivilegeEscalation = true });
        Assert.False(SecurityContexts.Container(pod, pod.Spec.Containers[0]).NoNewPrivs);
        pod = Pod(null, null);
        Assert.False(SecurityContexts.Container(pod, pod.Spec.Containers[0]).NoNewPrivs);
        Assert.Null(SecurityContexts.Container(pod, pod.Spec.Containers[0]).RunAsUser);
    }

    [Fact]
    public void The_sandbox_is_privileged_when_any_container_is_and_runs_RuntimeDefault_seccomp()
    {
        V1Pod pod = Pod(new V1PodSecurityContext { RunAsUser = 1000, SeccompProfile = new V1SeccompProfile { Type = "Unconfined" } }, null, init: new V1SecurityContext { Privileged = true });
        pod.Spec.HostPID = true;
        LinuxSandboxSecurityContext sandbox = SecurityContexts.Sandbox(pod);
        Assert.True(sandbox.Privileged);
        Assert.Equal(SecurityProfile.Types.ProfileType.RuntimeDefault, sandbox.Seccomp.ProfileType);
        Assert.Equal(1000, sandbox.RunAsUser.Value);
        Assert.Equal(NamespaceMode.Node, sandbox.NamespaceOptions.Pid);
        Assert.Equal(NamespaceMode.Pod, sandbox.NamespaceOptions.Network);
    }
}
