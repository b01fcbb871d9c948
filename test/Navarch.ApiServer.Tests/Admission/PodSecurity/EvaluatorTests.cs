using k8s.Models;
using Navarch.ApiServer.Admission.PodSecurity;
using static Navarch.ApiServer.Tests.Admission.PodSecurity.Pods;

namespace Navarch.ApiServer.Tests.Admission.PodSecurity;

/// <summary>
/// The levels and versions over whole pods: privileged allows everything, baseline runs the baseline checks,
/// restricted adds its own and drops the baseline checks it covers, and pinned versions run the checks of their time.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EvaluatorTests
{
    private static readonly Dictionary<string, (V1Pod Pod, string Baseline, string Restricted)> Cases = new()
    {
        ["compliant restricted pod"] = (Restricted(), "", ""),
        ["bare pod"] = (Containers(C("main")), "",
            "allowPrivilegeEscalation != false (container \"main\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"main\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "runAsNonRoot != true (pod or container \"main\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"main\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"),
        ["host network"] = (With(Restricted(), p => p.Spec.HostNetwork = true), "host namespaces (hostNetwork=true)", "host namespaces (hostNetwork=true)"),
        ["privileged container"] = (With(Restricted(), p => p.Spec.Containers[0].SecurityContext.Privileged = true),
            "privileged (container \"main\" must not set securityContext.privileged=true)", "privileged (container \"main\" must not set securityContext.privileged=true)"),
        ["hostPath volume: restricted reports only its own volume check"] = (With(Restricted(), p => p.Spec.Volumes = [new V1Volume { Name = "h", HostPath = new V1HostPathVolumeSource { Path = "/" } }]),
            "hostPath volumes (volume \"h\")", "restricted volume types (volume \"h\" uses restricted volume type \"hostPath\")"),
        ["added capability: restricted reports only its own capabilities check"] = (With(Restricted(), p => p.Spec.Containers[0].SecurityContext.Capabilities.Add = ["SYS_ADMIN"]),
            "non-default capabilities (container \"main\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)",
            "unrestricted capabilities (container \"main\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)"),
        ["unconfined seccomp: restricted reports only its own seccomp check"] = (With(Restricted(), p => p.Spec.SecurityContext.SeccompProfile.Type = "Unconfined"),
            "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")",
            "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")"),
        ["baseline and restricted together, in check id order"] = (With(Containers(C("main")), p => { p.Spec.HostPID = true; p.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 8080 }]; }),
            "host namespaces (hostPID=true), hostPort (container \"main\" uses hostPort 8080)",
            "host namespaces (hostPID=true), hostPort (container \"main\" uses hostPort 8080), "
            + "allowPrivilegeEscalation != false (container \"main\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"main\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "runAsNonRoot != true (pod or container \"main\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"main\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"),
        ["runAsUser 0 with runAsNonRoot"] = (With(Restricted(), p => p.Spec.SecurityContext.RunAsUser = 0), "", "runAsUser=0 (pod must not set runAsUser=0)"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Levels_at_latest(string name)
    {
        (V1Pod pod, string baseline, string restricted) = Cases[name];
        Assert.True(Evaluate(Level.Privileged, PolicyVersion.Latest, pod).Allowed);
        AggregateCheckResult b = Evaluate(Level.Baseline, PolicyVersion.Latest, pod);
        Assert.Equal(baseline.Length == 0, b.Allowed);
        Assert.Equal(baseline, b.ForbiddenDetail);
        AggregateCheckResult r = Evaluate(Level.Restricted, PolicyVersion.Latest, pod);
        Assert.Equal(restricted.Length == 0, r.Allowed);
        Assert.Equal(restricted, r.ForbiddenDetail);
    }

    [Fact]
    public void Forbidden_reason_lists_reasons_without_details()
    {
        AggregateCheckResult r = Evaluate(Level.Restricted, PolicyVersion.Latest, Cases["baseline and restricted together, in check id order"].Pod);
        Assert.Equal("host namespaces, hostPort, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile", r.ForbiddenReason);
    }

    [Fact]
    public void Pinned_versions_run_the_checks_of_their_time()
    {
        V1Pod bare = Containers(C("main"));

        // Before v1.8 restricted had no allowPrivilegeEscalation, before v1.19 no seccomp field check, before v1.22 no drop ALL.
        Assert.Equal("runAsNonRoot != true", Evaluate(Level.Restricted, PolicyVersion.V1(7), bare).ForbiddenReason);
        Assert.Equal("allowPrivilegeEscalation != false, runAsNonRoot != true", Evaluate(Level.Restricted, PolicyVersion.V1(18), bare).ForbiddenReason);
        Assert.Equal("allowPrivilegeEscalation != false, runAsNonRoot != true, seccompProfile", Evaluate(Level.Restricted, PolicyVersion.V1(21), bare).ForbiddenReason);
        Assert.Equal("allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile", Evaluate(Level.Restricted, PolicyVersion.V1(22), bare).ForbiddenReason);

        // runAsUser=0 is refused from v1.23; the seccomp annotations count before v1.19 only.
        V1Pod root = With(Restricted(), p => p.Spec.SecurityContext.RunAsUser = 0);
        Assert.True(Evaluate(Level.Restricted, PolicyVersion.V1(22), root).Allowed);
        Assert.False(Evaluate(Level.Restricted, PolicyVersion.V1(23), root).Allowed);
        V1Pod annotated = With(Containers(C("main")), p => p.Metadata.Annotations = new Dictionary<string, string> { ["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined" });
        Assert.Equal("seccompProfile", Evaluate(Level.Baseline, PolicyVersion.V1(18), annotated).ForbiddenReason);
        Assert.True(Evaluate(Level.Baseline, PolicyVersion.V1(19), annotated).Allowed);

        // A version newer than any check evaluates as the newest, as latest does.
        V1Pod sysctl = With(Containers(C("main")), p => p.Spec.SecurityContext = new V1PodSecurityContext { Sysctls = [new V1Sysctl { Name = "net.ipv4.tcp_rmem", Value = "4096 87380 6291456" }] });
        Assert.False(Evaluate(Level.Baseline, PolicyVersion.V1(31), sysctl).Allowed);
        Assert.True(Evaluate(Level.Baseline, PolicyVersion.V1(99), sysctl).Allowed);
        Assert.True(Evaluate(Level.Baseline, PolicyVersion.Latest, sysctl).Allowed);
    }

    [Fact]
    public void Windows_pods_skip_the_linux_only_restricted_checks_from_v1_25()
    {
        V1Pod windows = With(Containers(C("main")), p => p.Spec.Os = new V1PodOS { Name = "windows" });
        Assert.Equal("runAsNonRoot != true", Evaluate(Level.Restricted, PolicyVersion.Latest, windows).ForbiddenReason);
        Assert.Equal("allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile", Evaluate(Level.Restricted, PolicyVersion.V1(24), windows).ForbiddenReason);
    }

    private static AggregateCheckResult Evaluate(Level level, PolicyVersion version, V1Pod pod) => Evaluator.Default.Evaluate(new LevelVersion(level, version), pod.Metadata, pod.Spec);

    private static V1Pod With(V1Pod pod, Action<V1Pod> change)
    {
        change(pod);
        return pod;
    }
}
