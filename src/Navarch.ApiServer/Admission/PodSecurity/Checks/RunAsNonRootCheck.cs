using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Restricted: containers must run as non-root — runAsNonRoot=true on the pod, or on every container that the pod
/// does not cover, and never false.
/// </summary>
internal static class RunAsNonRootCheck
{
    public static Check Check { get; } = new("runAsNonRoot", Level.Restricted, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var badSetters = new List<string>();
        bool podNonRoot = false;
        if (spec.SecurityContext?.RunAsNonRoot is bool pod)
        {
            if (pod)
            {
                podNonRoot = true;
            }
            else
            {
                badSetters.Add("pod");
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            if (c.SecurityContext?.RunAsNonRoot is bool nonRoot)
            {
                if (!nonRoot)
                {
                    explicitlyBad.Add(c.Name);
                }
            }
            else if (!podNonRoot)
            {
                implicitlyBad.Add(c.Name);
            }
        }

        if (explicitlyBad.Count > 0)
        {
            badSetters.Add(CheckHelpers.Containers(explicitlyBad));
        }

        if (badSetters.Count > 0)
        {
            return CheckResult.Fail("runAsNonRoot != true", $"{string.Join(" and ", badSetters)} must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("runAsNonRoot != true", $"pod or {CheckHelpers.Containers(implicitlyBad)} must set securityContext.runAsNonRoot=true");
    }
}
