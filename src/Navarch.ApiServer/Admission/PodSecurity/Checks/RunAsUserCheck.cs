using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Restricted: neither the pod nor a container may set runAsUser=0 (from v1.23).</summary>
internal static class RunAsUserCheck
{
    public static Check Check { get; } = new("runAsUser", Level.Restricted, [new VersionedCheck(PolicyVersion.V1(23), V1Dot23)]);

    internal static CheckResult V1Dot23(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var setters = new List<string>();
        if (spec.SecurityContext?.RunAsUser == 0)
        {
            setters.Add("pod");
        }

        var bad = CheckHelpers.Containers(spec).Where(c => c.SecurityContext?.RunAsUser == 0).Select(c => c.Name).ToList();
        if (bad.Count > 0)
        {
            setters.Add(CheckHelpers.Containers(bad));
        }

        return setters.Count == 0 ? CheckResult.Pass : CheckResult.Fail("runAsUser=0", $"{string.Join(" and ", setters)} must not set runAsUser=0");
    }
}
