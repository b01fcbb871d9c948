using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: sharing the host's network, PID or IPC namespace is forbidden (spec.hostNetwork, hostPID, hostIPC).</summary>
internal static class HostNamespacesCheck
{
    public static Check Check { get; } = new("hostNamespaces", Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var shared = new List<string>();
        if (spec.HostNetwork == true)
        {
            shared.Add("hostNetwork=true");
        }

        if (spec.HostPID == true)
        {
            shared.Add("hostPID=true");
        }

        if (spec.HostIPC == true)
        {
            shared.Add("hostIPC=true");
        }

        return shared.Count == 0 ? CheckResult.Pass : CheckResult.Fail("host namespaces", string.Join(", ", shared));
    }
}
