using k8s.Models;
using Navarch.ApiServer.Admission.PodSecurity;
using Navarch.ApiServer.Admission.PodSecurity.Checks;
using static Navarch.ApiServer.Tests.Admission.PodSecurity.Pods;

namespace Navarch.ApiServer.Tests.Admission.PodSecurity;

/// <summary>
/// Every check of the Pod Security Standards against the cases of Kubernetes' policy tests (check_*_test.go): the
/// exact forbidden reason and detail, or allowed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PodSecurityCheckTests
{
    private static readonly Dictionary<string, (CheckPod Check, V1Pod Pod, string Reason, string Detail)> Cases = new()
    {
        ["allowPrivilegeEscalation: unset, nil, true refused"] = (AllowPrivilegeEscalationCheck.V1Dot8, Containers(
            C("a"), C("b", new V1SecurityContext()), C("c", new V1SecurityContext { AllowPrivilegeEscalation = true }), C("d", new V1SecurityContext { AllowPrivilegeEscalation = false })),
            "allowPrivilegeEscalation != false", "containers \"a\", \"b\", \"c\" must set securityContext.allowPrivilegeEscalation=false"),
        ["allowPrivilegeEscalation: init and ephemeral containers count"] = (AllowPrivilegeEscalationCheck.V1Dot8, Spec(new V1PodSpec
        {
            InitContainers = [C("init")],
            Containers = [C("main", new V1SecurityContext { AllowPrivilegeEscalation = false })],
            EphemeralContainers = [new V1EphemeralContainer { Name = "debug" }],
        }), "allowPrivilegeEscalation != false", "containers \"init\", \"debug\" must set securityContext.allowPrivilegeEscalation=false"),
        ["allowPrivilegeEscalation: windows pods exempt from v1.25"] = (AllowPrivilegeEscalationCheck.Check.Versions[1].CheckPod, Spec(new V1PodSpec { Os = new V1PodOS { Name = "windows" }, Containers = [C("a")] }), "", ""),
        ["appArmorProfile: annotations"] = (AppArmorProfileCheck.V1Dot0, Spec(new V1PodSpec { Containers = [C("a")] }, new Dictionary<string, string>
        {
            ["container.apparmor.security.beta.kubernetes.io/"] = "bogus",
            ["container.apparmor.security.beta.kubernetes.io/a"] = "",
            ["container.apparmor.security.beta.kubernetes.io/b"] = "runtime/default",
            ["container.apparmor.security.beta.kubernetes.io/c"] = "localhost/",
            ["container.apparmor.security.beta.kubernetes.io/d"] = "localhost/foo",
            ["container.apparmor.security.beta.kubernetes.io/e"] = "unconfined",
            ["container.apparmor.security.beta.kubernetes.io/f"] = "unknown",
        }), "forbidden AppArmor profiles",
            "annotations must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/=\"bogus\"\", \"container.apparmor.security.beta.kubernetes.io/e=\"unconfined\"\", \"container.apparmor.security.beta.kubernetes.io/f=\"unknown\"\""),
        ["appArmorProfile: default and localhost annotations allowed"] = (AppArmorProfileCheck.V1Dot0, Spec(new V1PodSpec { Containers = [C("a")] }, new Dictionary<string, string>
        {
            ["container.apparmor.security.beta.kubernetes.io/a"] = "runtime/default",
            ["container.apparmor.security.beta.kubernetes.io/b"] = "localhost/sec-profile01",
            ["env"] = "prod",
        }), "", ""),
        ["appArmorProfile: fields"] = (AppArmorProfileCheck.V1Dot0, Spec(new V1PodSpec
        {
            SecurityContext = new V1PodSecurityContext { AppArmorProfile = new V1AppArmorProfile { Type = "Unconfined" } },
            Containers = [C("a", new V1SecurityContext { AppArmorProfile = new V1AppArmorProfile { Type = "RuntimeDefault" } }), C("b", new V1SecurityContext { AppArmorProfile = new V1AppArmorProfile { Type = "Unconfined" } })],
        }), "forbidden AppArmor profile", "pod and container \"b\" must not set AppArmor profile type to \"Unconfined\""),
        ["capabilities_baseline: non-default added"] = (CapabilitiesBaselineCheck.V1Dot0, Containers(
            C("a", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["FOO", "BAR"] } }),
            C("b", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["BAR", "BAZ"] } }),
            C("c", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["NET_BIND_SERVICE", "CHOWN"] } })),
            "non-default capabilities", "containers \"a\", \"b\" must not include \"BAR\", \"BAZ\", \"FOO\" in securityContext.capabilities.add"),
        ["capabilities_restricted: drop ALL missing, forbidden add"] = (CapabilitiesRestrictedCheck.V1Dot22, Containers(
            C("a", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["FOO", "BAR"] } }),
            C("b", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["BAR", "BAZ"] } }),
            C("c", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["NET_BIND_SERVICE", "CHOWN"], Drop = ["ALL", "FOO"] } })),
            "unrestricted capabilities", "containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"a\", \"b\", \"c\" must not include \"BAR\", \"BAZ\", \"CHOWN\", \"FOO\" in securityContext.capabilities.add"),
        ["capabilities_restricted: no capabilities at all"] = (CapabilitiesRestrictedCheck.V1Dot22, Containers(C("a")), "unrestricted capabilities", "container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]"),
        ["capabilities_restricted: drop ALL add NET_BIND_SERVICE allowed"] = (CapabilitiesRestrictedCheck.V1Dot22, Containers(
            C("a", new V1SecurityContext { Capabilities = new V1Capabilities { Add = ["NET_BIND_SERVICE"], Drop = ["ALL"] } })), "", ""),
        ["capabilities_restricted: windows pods exempt from v1.25"] = (CapabilitiesRestrictedCheck.Check.Versions[1].CheckPod, Spec(new V1PodSpec { Os = new V1PodOS { Name = "windows" }, Containers = [C("a")] }), "", ""),
        ["hostNamespaces: all three"] = (HostNamespacesCheck.V1Dot0, Spec(new V1PodSpec { HostNetwork = true, HostIPC = true, HostPID = true, Containers = [C("a")] }),
            "host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true"),
        ["hostNamespaces: false allowed"] = (HostNamespacesCheck.V1Dot0, Spec(new V1PodSpec { HostNetwork = false, Containers = [C("a")] }), "", ""),
        ["hostPathVolumes"] = (HostPathVolumesCheck.V1Dot0, Spec(new V1PodSpec
        {
            Containers = [C("x")],
            Volumes =
            [
                new V1Volume { Name = "a", HostPath = new V1HostPathVolumeSource { Path = "/a" } },
                new V1Volume { Name = "b", HostPath = new V1HostPathVolumeSource { Path = "/b" } },
                new V1Volume { Name = "c", EmptyDir = new V1EmptyDirVolumeSource() },
            ],
        }), "hostPath volumes", "volumes \"a\", \"b\""),
        ["hostPorts: one container"] = (HostPortsCheck.V1Dot0, Containers(
            new V1Container { Name = "a", Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 0 }] },
            new V1Container { Name = "b", Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 0 }, new V1ContainerPort { ContainerPort = 81, HostPort = 20 }] }),
            "hostPort", "container \"b\" uses hostPort 20"),
        ["hostPorts: several containers"] = (HostPortsCheck.V1Dot0, Containers(
            new V1Container { Name = "a", Ports = [new V1ContainerPort { ContainerPort = 80 }] },
            new V1Container { Name = "b", Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 0 }, new V1ContainerPort { ContainerPort = 81, HostPort = 10 }, new V1ContainerPort { ContainerPort = 82, HostPort = 20 }] },
            new V1Container { Name = "c", Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 0 }, new V1ContainerPort { ContainerPort = 81, HostPort = 10 }, new V1ContainerPort { ContainerPort = 82, HostPort = 30 }] }),
            "hostPort", "containers \"b\", \"c\" use hostPorts 10, 20, 30"),
        ["privileged"] = (PrivilegedCheck.V1Dot0, Containers(
            C("a"), C("b", new V1SecurityContext()), C("c", new V1SecurityContext { Privileged = false }), C("d", new V1SecurityContext { Privileged = true }), C("e", new V1SecurityContext { Privileged = true })),
            "privileged", "containers \"d\", \"e\" must not set securityContext.privileged=true"),
        ["procMount"] = (ProcMountCheck.V1Dot0, Containers(
            C("a"), C("b", new V1SecurityContext()), C("c", new V1SecurityContext { ProcMount = "Default" }), C("d", new V1SecurityContext { ProcMount = "Unmasked" }), C("e", new V1SecurityContext { ProcMount = "other" })),
            "procMount", "containers \"d\", \"e\" must not set securityContext.procMount to \"Unmasked\", \"other\""),
        ["restrictedVolumes: every known and an unknown type"] = (RestrictedVolumesCheck.V1Dot0, Spec(new V1PodSpec
        {
            Containers = [C("x")],
            Volumes =
            [
                new V1Volume { Name = "a1", EmptyDir = new V1EmptyDirVolumeSource() },
                new V1Volume { Name = "a2", Secret = new V1SecretVolumeSource() },
                new V1Volume { Name = "a3", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "c" } },
                new V1Volume { Name = "a4", DownwardAPI = new V1DownwardAPIVolumeSource() },
                new V1Volume { Name = "a5", ConfigMap = new V1ConfigMapVolumeSource() },
                new V1Volume { Name = "a6", Projected = new V1ProjectedVolumeSource() },
                new V1Volume { Name = "a7", Csi = new V1CSIVolumeSource { Driver = "d" } },
                new V1Volume { Name = "a8", Ephemeral = new V1EphemeralVolumeSource() },
                new V1Volume { Name = "a9", Image = new V1ImageVolumeSource() },
                new V1Volume { Name = "b1", HostPath = new V1HostPathVolumeSource { Path = "/" } },
                new V1Volume { Name = "b2", GcePersistentDisk = new V1GCEPersistentDiskVolumeSource { PdName = "p" } },
                new V1Volume { Name = "b3", AwsElasticBlockStore = new V1AWSElasticBlockStoreVolumeSource { VolumeID = "v" } },
                new V1Volume { Name = "b4", GitRepo = new V1GitRepoVolumeSource { Repository = "r" } },
                new V1Volume { Name = "b5", Nfs = new V1NFSVolumeSource { Path = "/", Server = "s" } },
                new V1Volume { Name = "b6", Iscsi = new V1ISCSIVolumeSource { Iqn = "i", Lun = 0, TargetPortal = "t" } },
                new V1Volume { Name = "b7", Glusterfs = new V1GlusterfsVolumeSource { Endpoints = "e", Path = "p" } },
                new V1Volume { Name = "b8", Rbd = new V1RBDVolumeSource { Image = "i", Monitors = ["m"] } },
                new V1Volume { Name = "b9", FlexVolume = new V1FlexVolumeSource { Driver = "d" } },
                new V1Volume { Name = "b10", Cinder = new V1CinderVolumeSource { VolumeID = "v" } },
                new V1Volume { Name = "b11", Cephfs = new V1CephFSVolumeSource { Monitors = ["m"] } },
                new V1Volume { Name = "b12", Flocker = new V1FlockerVolumeSource() },
                new V1Volume { Name = "b13", Fc = new V1FCVolumeSource() },
                new V1Volume { Name = "b14", AzureFile = new V1AzureFileVolumeSource { SecretName = "s", ShareName = "s" } },
                new V1Volume { Name = "b15", VsphereVolume = new V1VsphereVirtualDiskVolumeSource { VolumePath = "v" } },
                new V1Volume { Name = "b16", Quobyte = new V1QuobyteVolumeSource { Registry = "r", Volume = "v" } },
                new V1Volume { Name = "b17", AzureDisk = new V1AzureDiskVolumeSource { DiskName = "d", DiskURI = "u" } },
                new V1Volume { Name = "b18", PhotonPersistentDisk = new V1PhotonPersistentDiskVolumeSource { PdID = "p" } },
                new V1Volume { Name = "b19", PortworxVolume = new V1PortworxVolumeSource { VolumeID = "v" } },
                new V1Volume { Name = "b20", ScaleIO = new V1ScaleIOVolumeSource { Gateway = "g", SecretRef = new V1LocalObjectReference(), System = "s" } },
                new V1Volume { Name = "b21", Storageos = new V1StorageOSVolumeSource() },
                new V1Volume { Name = "c1" },
            ],
        }), "restricted volume types",
            "volumes \"b1\", \"b2\", \"b3\", \"b4\", \"b5\", \"b6\", \"b7\", \"b8\", \"b9\", \"b10\", \"b11\", \"b12\", \"b13\", \"b14\", \"b15\", \"b16\", \"b17\", \"b18\", \"b19\", \"b20\", \"b21\", \"c1\" use restricted volume types "
            + "\"awsElasticBlockStore\", \"azureDisk\", \"azureFile\", \"cephfs\", \"cinder\", \"fc\", \"flexVolume\", \"flocker\", \"gcePersistentDisk\", \"gitRepo\", \"glusterfs\", "
            + "\"hostPath\", \"iscsi\", \"nfs\", \"photonPersistentDisk\", \"portworxVolume\", \"quobyte\", \"rbd\", \"scaleIO\", \"storageos\", \"unknown\", \"vsphereVolume\""),
        ["runAsNonRoot: nothing set"] = (RunAsNonRootCheck.V1Dot0, Containers(C("a")), "runAsNonRoot != true", "pod or container \"a\" must set securityContext.runAsNonRoot=true"),
        ["runAsNonRoot: pod false"] = (RunAsNonRootCheck.V1Dot0, Spec(new V1PodSpec { SecurityContext = new V1PodSecurityContext { RunAsNonRoot = false }, Containers = [C("a")] }),
            "runAsNonRoot != true", "pod must not set securityContext.runAsNonRoot=false"),
        ["runAsNonRoot: containers false"] = (RunAsNonRootCheck.V1Dot0, Spec(new V1PodSpec
        {
            SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true },
            Containers =
            [
                C("a"), C("b", new V1SecurityContext()), C("c", new V1SecurityContext { RunAsNonRoot = false }), C("d", new V1SecurityContext { RunAsNonRoot = false }),
                C("e", new V1SecurityContext { RunAsNonRoot = true }), C("f", new V1SecurityContext { RunAsNonRoot = true }),
            ],
        }), "runAsNonRoot != true", "containers \"c\", \"d\" must not set securityContext.runAsNonRoot=false"),
        ["runAsNonRoot: pod nil, containers fall through"] = (RunAsNonRootCheck.V1Dot0, Containers(
            C("a"), C("b", new V1SecurityContext()), C("d", new V1SecurityContext { RunAsNonRoot = true }), C("e", new V1SecurityContext { RunAsNonRoot = true })),
            "runAsNonRoot != true", "pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true"),
        ["runAsUser: pod 0"] = (RunAsUserCheck.V1Dot23, Spec(new V1PodSpec { SecurityContext = new V1PodSecurityContext { RunAsUser = 0 }, Containers = [C("a")] }), "runAsUser=0", "pod must not set runAsUser=0"),
        ["runAsUser: pod non-zero"] = (RunAsUserCheck.V1Dot23, Spec(new V1PodSpec { SecurityContext = new V1PodSecurityContext { RunAsUser = 1000 }, Containers = [C("a")] }), "", ""),
        ["runAsUser: containers 0"] = (RunAsUserCheck.V1Dot23, Spec(new V1PodSpec
        {
            SecurityContext = new V1PodSecurityContext { RunAsUser = 1000 },
            Containers =
            [
                C("a"), C("b", new V1SecurityContext()), C("c", new V1SecurityContext { RunAsUser = 0 }), C("d", new V1SecurityContext { RunAsUser = 0 }),
                C("e", new V1SecurityContext { RunAsUser = 1 }), C("f", new V1SecurityContext { RunAsUser = 1 }),
            ],
        }), "runAsUser=0", "containers \"c\", \"d\" must not set runAsUser=0"),
        ["seLinuxOptions: pod and containers"] = (SeLinuxOptionsCheck.Check.Versions[1].CheckPod, SeLinuxPod(new V1SELinuxOptions { Type = "foo", User = "bar", Role = "baz" }, true),
            "seLinuxOptions", "pod and containers \"e\", \"f\", \"g\" set forbidden securityContext.seLinuxOptions: types \"bar\", \"foo\"; user may not be set; role may not be set"),
        ["seLinuxOptions: pod"] = (SeLinuxOptionsCheck.Check.Versions[1].CheckPod, SeLinuxPod(new V1SELinuxOptions { Type = "foo", User = "bar", Role = "baz" }, false),
            "seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: type \"foo\"; user may not be set; role may not be set"),
        ["seLinuxOptions: containers"] = (SeLinuxOptionsCheck.Check.Versions[1].CheckPod, SeLinuxPod(new V1SELinuxOptions(), true),
            "seLinuxOptions", "containers \"e\", \"f\", \"g\" set forbidden securityContext.seLinuxOptions: type \"bar\"; user may not be set; role may not be set"),
        ["seLinuxOptions: bad user"] = (SeLinuxOptionsCheck.Check.Versions[1].CheckPod, Spec(new V1PodSpec { SecurityContext = new V1PodSecurityContext { SeLinuxOptions = new V1SELinuxOptions { User = "bad" } }, Containers = [C("a")] }),
            "seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: user may not be set"),
        ["seLinuxOptions: container_engine_t before v1.31"] = (SeLinuxOptionsCheck.Check.Versions[0].CheckPod, Containers(C("d", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Type = "container_engine_t" } })),
            "seLinuxOptions", "container \"d\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\""),
        ["seccompProfile_baseline: pod annotation"] = (SeccompProfileBaselineCheck.V1Dot0, Spec(new V1PodSpec { Containers = [C("a")] }, new Dictionary<string, string> { ["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined" }),
            "seccompProfile", "forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\""),
        ["seccompProfile_baseline: pod and container annotations"] = (SeccompProfileBaselineCheck.V1Dot0, Spec(new V1PodSpec { Containers = [C("a"), C("b"), C("c")] }, new Dictionary<string, string>
        {
            ["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined",
            ["container.seccomp.security.alpha.kubernetes.io/a"] = "unconfined",
            ["container.seccomp.security.alpha.kubernetes.io/b"] = "unknown",
        }), "seccompProfile",
            "forbidden annotations container.seccomp.security.alpha.kubernetes.io/a=\"unconfined\", container.seccomp.security.alpha.kubernetes.io/b=\"unknown\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\""),
        ["seccompProfile_baseline: pod and containers Unconfined"] = (SeccompProfileBaselineCheck.V1Dot19, SeccompPod("Unconfined"),
            "seccompProfile", "pod and containers \"c\", \"d\" must not set securityContext.seccompProfile.type to \"Unconfined\""),
        ["seccompProfile_baseline: unset allowed"] = (SeccompProfileBaselineCheck.V1Dot19, Containers(C("a")), "", ""),
        ["seccompProfile_restricted: nothing set"] = (SeccompProfileRestrictedCheck.V1Dot19, Containers(C("a")),
            "seccompProfile", "pod or container \"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""),
        ["seccompProfile_restricted: pod Unconfined"] = (SeccompProfileRestrictedCheck.V1Dot19, Spec(new V1PodSpec
        {
            SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "Unconfined" } },
            Containers = [C("a")],
        }), "seccompProfile", "pod must not set securityContext.seccompProfile.type to \"Unconfined\""),
        ["seccompProfile_restricted: containers Unconfined"] = (SeccompProfileRestrictedCheck.V1Dot19, SeccompPod("RuntimeDefault"),
            "seccompProfile", "containers \"c\", \"d\" must not set securityContext.seccompProfile.type to \"Unconfined\""),
        ["seccompProfile_restricted: pod nil, containers fall through"] = (SeccompProfileRestrictedCheck.V1Dot19, Containers(
            C("a"), C("b", new V1SecurityContext()), C("d", new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } })),
            "seccompProfile", "pod or containers \"a\", \"b\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""),
        ["sysctls: forbidden"] = (SysctlsCheck.Check.Versions[0].CheckPod, Sysctls("a", "b"), "forbidden sysctls", "a, b"),
        ["sysctls: ip_local_reserved_ports before v1.27"] = (SysctlsCheck.Check.Versions[0].CheckPod, Sysctls("net.ipv4.ip_local_reserved_ports"), "forbidden sysctls", "net.ipv4.ip_local_reserved_ports"),
        ["sysctls: ip_local_reserved_ports from v1.27"] = (SysctlsCheck.Check.Versions[1].CheckPod, Sysctls("net.ipv4.ip_local_reserved_ports"), "", ""),
        ["sysctls: tcp_keepalive_time before v1.29"] = (SysctlsCheck.Check.Versions[1].CheckPod, Sysctls("net.ipv4.tcp_keepalive_time"), "forbidden sysctls", "net.ipv4.tcp_keepalive_time"),
        ["sysctls: tcp_keepalive_time from v1.29"] = (SysctlsCheck.Check.Versions[2].CheckPod, Sysctls("net.ipv4.tcp_keepalive_time"), "", ""),
        ["sysctls: tcp_rmem from v1.32"] = (SysctlsCheck.Check.Versions[3].CheckPod, Sysctls("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"), "", ""),
        ["windowsHostProcess: pod and containers"] = (WindowsHostProcessCheck.V1Dot0, Spec(new V1PodSpec
        {
            SecurityContext = new V1PodSecurityContext { WindowsOptions = new V1WindowsSecurityContextOptions { HostProcess = true } },
            Containers =
            [
                C("a"), C("b", new V1SecurityContext { WindowsOptions = new V1WindowsSecurityContextOptions { HostProcess = false } }),
                C("c", new V1SecurityContext { WindowsOptions = new V1WindowsSecurityContextOptions { HostProcess = true } }),
                C("d", new V1SecurityContext { WindowsOptions = new V1WindowsSecurityContextOptions { HostProcess = true } }),
            ],
        }), "hostProcess", "pod and containers \"c\", \"d\" must not set securityContext.windowsOptions.hostProcess=true"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Check_reports_Kubernetes_reason_and_detail(string name)
    {
        (CheckPod check, V1Pod pod, string reason, string detail) = Cases[name];
        CheckResult result = check(pod.Metadata, pod.Spec);
        Assert.Equal(reason.Length == 0, result.Allowed);
        Assert.Equal(reason, result.ForbiddenReason);
        Assert.Equal(detail, result.ForbiddenDetail);
    }

    private static V1Pod SeLinuxPod(V1SELinuxOptions podOptions, bool badContainers)
    {
        List<V1Container> containers =
        [
            C("a", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Type = "container_t" } }),
            C("b", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Type = "container_init_t" } }),
            C("c", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Type = "container_kvm_t" } }),
            C("d", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Type = "container_engine_t" } }),
        ];
        if (badContainers)
        {
            containers.Add(C("e", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Type = "bar" } }));
            containers.Add(C("f", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { User = "bar" } }));
            containers.Add(C("g", new V1SecurityContext { SeLinuxOptions = new V1SELinuxOptions { Role = "baz" } }));
        }

        return Spec(new V1PodSpec { SecurityContext = new V1PodSecurityContext { SeLinuxOptions = podOptions }, Containers = containers });
    }

    private static V1Pod SeccompPod(string podType) => Spec(new V1PodSpec
    {
        SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = podType } },
        Containers =
        [
            C("a"), C("b", new V1SecurityContext()),
            C("c", new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "Unconfined" } }),
            C("d", new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "Unconfined" } }),
            C("e", new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } }),
            C("f", new V1SecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } }),
        ],
    });

    private static V1Pod Sysctls(params string[] names) =>
        Spec(new V1PodSpec { SecurityContext = new V1PodSecurityContext { Sysctls = names.Select(n => new V1Sysctl { Name = n, Value = "1" }).ToList() }, Containers = [C("a")] });
}
