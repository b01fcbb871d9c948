using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Baseline: the AppArmor profile may not be overridden except to RuntimeDefault or a Localhost profile, in
/// securityContext.appArmorProfile.type of the pod and containers and in the deprecated
/// <c>container.apparmor.security.beta.kubernetes.io/*</c> annotations (<c>runtime/default</c>, <c>localhost/*</c>).
/// </summary>
internal static class AppArmorProfileCheck
{
    private const string AnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

    public static Check Check { get; } = new("appArmorProfile", Level.Baseline, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0)]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var setters = new List<string>();
        var values = new List<string>();
        if (spec.SecurityContext?.AppArmorProfile is { } podProfile && !ValidType(podProfile.Type))
        {
            setters.Add("pod");
            values.Add(podProfile.Type ?? "");
        }

        var bad = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            if (c.SecurityContext?.AppArmorProfile is { } profile && !ValidType(profile.Type))
            {
                bad.Add(c.Name);
                values.Add(profile.Type ?? "");
            }
        }

        if (bad.Count > 0)
        {
            setters.Add(CheckHelpers.Containers(bad));
        }

        List<string> badValues = CheckHelpers.SortedSet(values);
        var annotations = (metadata.Annotations ?? new Dictionary<string, string>())
            .Where(a => a.Key.StartsWith(AnnotationPrefix, StringComparison.Ordinal) && !ValidAnnotation(a.Value))
            .Select(a => $"{a.Key}={CheckHelpers.GoQuote(a.Value)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        if (annotations.Count > 0)
        {
            badValues.AddRange(annotations);
            setters.Add(CheckHelpers.Pluralize("annotation", "annotations", annotations.Count));
        }

        return setters.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail(
                CheckHelpers.Pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", badValues.Count),
                $"{string.Join(" and ", setters)} must not set AppArmor profile type to {CheckHelpers.JoinQuote(badValues)}");
    }

    private static bool ValidType(string? type) => type is "RuntimeDefault" or "Localhost";

    private static bool ValidAnnotation(string value) =>
        value.Length == 0 || value == "runtime/default" || value.StartsWith("localhost/", StringComparison.Ordinal);
}
