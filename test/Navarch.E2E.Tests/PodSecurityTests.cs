namespace Navarch.E2E.Tests;

/// <summary>
/// Pod Security Admission with the real kubectl and a real node: a namespace labelled restricted refuses a privileged
/// pod with the error kubectl prints on Kubernetes, warns in warn mode and when the enforce level tightens, and runs a
/// restricted pod whose processes really are non-root, without capabilities, with no_new_privs and a seccomp filter.
/// </summary>
[Trait("Category", "Node")]
public sealed class PodSecurityTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    [Fact]
    public async Task Restricted_namespace_refuses_a_privileged_pod_and_runs_a_compliant_one()
    {
        await node.OkAsync("create", "namespace", "psa");
        Kubectl.Result labelled = await node.KubectlAsync("label", "ns", "psa", "pod-security.kubernetes.io/enforce=restricted");
        Assert.True(labelled.ExitCode == 0, labelled.Output);
        Assert.Equal("namespace/psa labeled", labelled.Stdout.Trim());

        Kubectl.Result refused = await node.KubectlAsync("-n", "psa", "run", "priv", "--image=busybox:1.35", "--privileged", "--", "sleep", "3600");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal(
            "Error from server (Forbidden): pods \"priv\" is forbidden: violates PodSecurity \"restricted:latest\": "
            + "privileged (container \"priv\" must not set securityContext.privileged=true), "
            + "allowPrivilegeEscalation != false (container \"priv\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"priv\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "runAsNonRoot != true (pod or container \"priv\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"priv\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            refused.Stderr.Trim());

        await node.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: compliant, namespace: psa}
            spec:
              terminationGracePeriodSeconds: 1
              securityContext:
                runAsNonRoot: true
                runAsUser: 1000
                seccompProfile: {type: RuntimeDefault}
              containers:
              - name: main
                image: busybox:1.35
                command: ["sleep", "3600"]
                securityContext:
                  allowPrivilegeEscalation: false
                  capabilities: {drop: ["ALL"]}
            """);
        await node.OkAsync("-n", "psa", "wait", "--for=condition=Ready", "pod/compliant", "--timeout=90s");
        Assert.Equal("1000", (await node.OkAsync("-n", "psa", "exec", "compliant", "--", "busybox", "id", "-u")).Trim());
        string status = await node.OkAsync("-n", "psa", "exec", "compliant", "--", "busybox", "cat", "/proc/self/status");
        Assert.Matches(@"(?m)^CapBnd:\s+0000000000000000$", status);
        Assert.Matches(@"(?m)^NoNewPrivs:\s+1$", status);
        Assert.Matches(@"(?m)^Seccomp:\s+2$", status);

        await node.OkAsync("delete", "namespace", "psa", "--wait=false");
    }

    [Fact]
    public async Task Warn_mode_and_a_tightened_enforce_level_print_kubectl_warnings()
    {
        await node.OkAsync("create", "namespace", "psa-warn");
        await node.OkAsync("label", "ns", "psa-warn", "pod-security.kubernetes.io/warn=baseline");
        Kubectl.Result warned = await node.KubectlAsync("-n", "psa-warn", "run", "host", "--image=busybox:1.35", "--overrides={\"spec\":{\"hostPID\":true}}", "--", "sleep", "3600");
        Assert.True(warned.ExitCode == 0, warned.Output);
        Assert.Equal("Warning: would violate PodSecurity \"baseline:latest\": host namespaces (hostPID=true)", warned.Stderr.Trim());

        Kubectl.Result tightened = await node.KubectlAsync("label", "ns", "psa-warn", "pod-security.kubernetes.io/enforce=baseline");
        Assert.True(tightened.ExitCode == 0, tightened.Output);
        Assert.Equal(
            "Warning: existing pods in namespace \"psa-warn\" violate the new PodSecurity enforce level \"baseline:latest\"\nWarning: host: host namespaces",
            tightened.Stderr.Trim());

        Kubectl.Result invalid = await node.KubectlAsync("label", "ns", "psa-warn", "pod-security.kubernetes.io/audit=loud");
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains(
            "The Namespace \"psa-warn\" is invalid: metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"loud\": must be one of privileged, baseline, restricted",
            invalid.Stderr, StringComparison.Ordinal);

        await node.OkAsync("delete", "namespace", "psa-warn", "--wait=false");
    }
}
