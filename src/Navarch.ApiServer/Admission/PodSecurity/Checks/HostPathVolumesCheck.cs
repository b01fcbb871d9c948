using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: hostPath volumes are forbidden (spec.volumes[*].hostPath).</summary>
internal static class HostPathVolumesCheck
{
    public const string Id = "hostPathVolumes";

    public static Check Check { get; } = new(Id, Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = (spec.Volumes ?? []).Where(v => v.HostPath is not null).Select(v => v.Name).ToList();
        return bad.Count == 0 ? CheckResult.Pass : CheckResult.Fail("hostPath volumes", $"{CheckHelpers.Pluralize("volume", "volumes", bad.Count)} {CheckHelpers.JoinQuote(bad)}");
    }
}
