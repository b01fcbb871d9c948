using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: privileged containers disable most security mechanisms (securityContext.privileged=true).</summary>
internal static class PrivilegedCheck
{
    public static Check Check { get; } = new("privileged", Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = CheckHelpers.Containers(spec).Where(c => c.SecurityContext?.Privileged == true).Select(c => c.Name).ToList();
        return bad.Count == 0 ? CheckResult.Pass : CheckResult.Fail("privileged", $"{CheckHelpers.Containers(bad)} must not set securityContext.privileged=true");
    }
}
