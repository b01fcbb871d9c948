using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Restricted: a seccomp profile of type RuntimeDefault or Localhost must be set on the pod or on every container it
/// does not cover (from v1.19, covering the baseline seccomp check); Windows pods are exempt from v1.25.
/// </summary>
internal static class SeccompProfileRestrictedCheck
{
    public static Check Check { get; } = new("seccompProfile_restricted", Level.Restricted,
    [
        new VersionedCheck(PolicyVersion.V1(19), V1Dot19, [SeccompProfileBaselineCheck.Id]),
        new VersionedCheck(PolicyVersion.V1(25), (m, s) => CheckHelpers.IsWindows(s) ? CheckResult.Pass : V1Dot19(m, s), [SeccompProfileBaselineCheck.Id]),
    ]);

    internal static CheckResult V1Dot19(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var setters = new List<string>();
        var values = new List<string>();
        bool podSet = false;
        if (spec.SecurityContext?.SeccompProfile is { } podProfile)
        {
            if (SeccompProfileBaselineCheck.ValidType(podProfile.Type))
            {
                podSet = true;
            }
            else
            {
                setters.Add("pod");
                values.Add(podProfile.Type ?? "");
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            if (c.SecurityContext?.SeccompProfile is { } profile)
            {
                if (!SeccompProfileBaselineCheck.ValidType(profile.Type))
                {
                    explicitlyBad.Add(c.Name);
                    values.Add(profile.Type ?? "");
                }
            }
            else if (!podSet)
            {
                implicitlyBad.Add(c.Name);
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(CheckHelpers.Containers(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return CheckResult.Fail("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {CheckHelpers.JoinQuote(CheckHelpers.SortedSet(values))}");
        }

        return implicitlyBad.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("seccompProfile", $"pod or {CheckHelpers.Containers(implicitlyBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
}
