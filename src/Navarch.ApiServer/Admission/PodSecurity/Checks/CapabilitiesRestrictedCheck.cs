using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Restricted: every container drops ALL capabilities and adds back at most NET_BIND_SERVICE (from v1.22, covering the
/// baseline capabilities check); Windows pods are exempt from v1.25.
/// </summary>
internal static class CapabilitiesRestrictedCheck
{
    public static Check Check { get; } = new("capabilities_restricted", Level.Restricted,
    [
        new VersionedCheck(PolicyVersion.V1(22), V1Dot22, [CapabilitiesBaselineCheck.Id]),
        new VersionedCheck(PolicyVersion.V1(25), (m, s) => CheckHelpers.IsWindows(s) ? CheckResult.Pass : V1Dot22(m, s), [CapabilitiesBaselineCheck.Id]),
    ]);

    internal static CheckResult V1Dot22(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var missingDropAll = new List<string>();
        var addingForbidden = new List<string>();
        var forbidden = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            V1Capabilities? capabilities = c.SecurityContext?.Capabilities;
            if (capabilities is null)
            {
                missingDropAll.Add(c.Name);
                continue;
            }

            if (capabilities.Drop?.Contains("ALL") != true)
            {
                missingDropAll.Add(c.Name);
            }

            var added = (capabilities.Add ?? []).Where(a => a != "NET_BIND_SERVICE").ToList();
            if (added.Count > 0)
            {
                addingForbidden.Add(c.Name);
                forbidden.AddRange(added);
            }
        }

        var details = new List<string>();
        if (missingDropAll.Count > 0)
        {
            details.Add($"{CheckHelpers.Containers(missingDropAll)} must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (addingForbidden.Count > 0)
        {
            details.Add($"{CheckHelpers.Containers(addingForbidden)} must not include {CheckHelpers.JoinQuote(CheckHelpers.SortedSet(forbidden))} in securityContext.capabilities.add");
        }

        return details.Count == 0 ? CheckResult.Pass : CheckResult.Fail("unrestricted capabilities", string.Join("; ", details));
    }
}
