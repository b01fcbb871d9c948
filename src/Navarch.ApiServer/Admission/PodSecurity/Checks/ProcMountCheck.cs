using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: the default /proc masks are required (securityContext.procMount unset or "Default").</summary>
internal static class ProcMountCheck
{
    public static Check Check { get; } = new("procMount", Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = new List<string>();
        var types = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            if (c.SecurityContext?.ProcMount is { } procMount && procMount != "Default")
            {
                bad.Add(c.Name);
                types.Add(procMount);
            }
        }

        return bad.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("procMount", $"{CheckHelpers.Containers(bad)} must not set securityContext.procMount to {CheckHelpers.JoinQuote(CheckHelpers.SortedSet(types))}");
    }
}
