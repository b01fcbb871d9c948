using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: only the container runtime's default capabilities may be added (securityContext.capabilities.add).</summary>
internal static class CapabilitiesBaselineCheck
{
    public const string Id = "capabilities_baseline";

    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    public static Check Check { get; } = new(Id, Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = new List<string>();
        var capabilities = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            var added = (c.SecurityContext?.Capabilities?.Add ?? []).Where(a => !Allowed.Contains(a)).ToList();
            if (added.Count > 0)
            {
                bad.Add(c.Name);
                capabilities.AddRange(added);
            }
        }

        return bad.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("non-default capabilities", $"{CheckHelpers.Containers(bad)} must not include {CheckHelpers.JoinQuote(CheckHelpers.SortedSet(capabilities))} in securityContext.capabilities.add");
    }
}
