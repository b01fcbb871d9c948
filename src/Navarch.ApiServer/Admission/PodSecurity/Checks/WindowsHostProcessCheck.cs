using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>Baseline: Windows HostProcess containers are forbidden (securityContext.windowsOptions.hostProcess=true).</summary>
internal static class WindowsHostProcessCheck
{
    public static Check Check { get; } = new("windowsHostProcess", Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var setters = new List<string>();
        if (spec.SecurityContext?.WindowsOptions?.HostProcess == true)
        {
            setters.Add("pod");
        }

        var bad = CheckHelpers.Containers(spec).Where(c => c.SecurityContext?.WindowsOptions?.HostProcess == true).Select(c => c.Name).ToList();
        if (bad.Count > 0)
        {
            setters.Add(CheckHelpers.Containers(bad));
        }

        return setters.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("hostProcess", $"{string.Join(" and ", setters)} must not set securityContext.windowsOptions.hostProcess=true");
    }
}
