using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Restricted: every container must set securityContext.allowPrivilegeEscalation=false (from v1.8); Windows pods are
/// exempt from v1.25.
/// </summary>
internal static class AllowPrivilegeEscalationCheck
{
    public static Check Check { get; } = new("allowPrivilegeEscalation", Level.Restricted,
    [
        new VersionedCheck(PolicyVersion.V1(8), V1Dot8),
        new VersionedCheck(PolicyVersion.V1(25), (m, s) => CheckHelpers.IsWindows(s) ? CheckResult.Pass : V1Dot8(m, s)),
    ]);

    internal static CheckResult V1Dot8(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = CheckHelpers.Containers(spec).Where(c => c.SecurityContext?.AllowPrivilegeEscalation != false).Select(c => c.Name).ToList();
        return bad.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("allowPrivilegeEscalation != false", $"{CheckHelpers.Containers(bad)} must set securityContext.allowPrivilegeEscalation=false");
    }
}
