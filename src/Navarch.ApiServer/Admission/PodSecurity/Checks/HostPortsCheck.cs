using System.Globalization;
using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: host ports are forbidden (containers[*].ports[*].hostPort must be unset or 0).</summary>
internal static class HostPortsCheck
{
    public static Check Check { get; } = new("hostPorts", Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = new List<string>();
        var ports = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            var hostPorts = (c.Ports ?? []).Where(p => p.HostPort is not null and not 0).Select(p => p.HostPort!.Value.ToString(CultureInfo.InvariantCulture)).ToList();
            if (hostPorts.Count > 0)
            {
                bad.Add(c.Name);
                ports.AddRange(hostPorts);
            }
        }

        if (bad.Count == 0)
        {
            return CheckResult.Pass;
        }

        List<string> distinct = CheckHelpers.SortedSet(ports);
        return CheckResult.Fail(
            "hostPort",
            $"{CheckHelpers.Containers(bad)} {CheckHelpers.Pluralize("uses", "use", bad.Count)} {CheckHelpers.Pluralize("hostPort", "hostPorts", distinct.Count)} {string.Join(", ", distinct)}");
    }
}
