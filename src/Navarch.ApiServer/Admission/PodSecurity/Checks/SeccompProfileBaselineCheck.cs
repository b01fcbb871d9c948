using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Baseline: a seccomp profile, if set, is RuntimeDefault or Localhost — before v1.19 in the alpha annotations
/// (<c>runtime/default</c>, <c>docker/default</c>, <c>localhost/*</c>), from v1.19 in securityContext.seccompProfile.type.
/// </summary>
internal static class SeccompProfileBaselineCheck
{
    public const string Id = "seccompProfile_baseline";

    private const string PodAnnotation = "seccomp.security.alpha.kubernetes.io/pod";

    private const string ContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/";

    public static Check Check { get; } = new(Id, Level.Baseline,
    [
        new VersionedCheck(PolicyVersion.V1(0), V1Dot0),
        new VersionedCheck(PolicyVersion.V1(19), V1Dot19),
    ]);

    /// <summary>RuntimeDefault and Localhost are the allowed profile types.</summary>
    internal static bool ValidType(string? type) => type is "RuntimeDefault" or "Localhost";

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var forbidden = new List<string>();
        IDictionary<string, string> annotations = metadata.Annotations ?? new Dictionary<string, string>();
        if (annotations.TryGetValue(PodAnnotation, out string? podValue) && !ValidAnnotation(podValue))
        {
            forbidden.Add($"{PodAnnotation}={CheckHelpers.GoQuote(podValue)}");
        }

        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            string key = ContainerAnnotationPrefix + c.Name;
            if (annotations.TryGetValue(key, out string? value) && !ValidAnnotation(value))
            {
                forbidden.Add($"{key}={CheckHelpers.GoQuote(value)}");
            }
        }

        List<string> distinct = CheckHelpers.SortedSet(forbidden);
        return distinct.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("seccompProfile", $"forbidden {CheckHelpers.Pluralize("annotation", "annotations", distinct.Count)} {string.Join(", ", distinct)}");
    }

    internal static CheckResult V1Dot19(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var setters = new List<string>();
        var values = new List<string>();
        if (spec.SecurityContext?.SeccompProfile is { } podProfile && !ValidType(podProfile.Type))
        {
            setters.Add("pod");
            values.Add(podProfile.Type ?? "");
        }

        var bad = new List<string>();
        foreach (ContainerSecurity c in CheckHelpers.Containers(spec))
        {
            if (c.SecurityContext?.SeccompProfile is { } profile && !ValidType(profile.Type))
            {
                bad.Add(c.Name);
                values.Add(profile.Type ?? "");
            }
        }

        if (bad.Count > 0)
        {
            setters.Add(CheckHelpers.Containers(bad));
        }

        return setters.Count == 0
            ? CheckResult.Pass
            : CheckResult.Fail("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {CheckHelpers.JoinQuote(CheckHelpers.SortedSet(values))}");
    }

    private static bool ValidAnnotation(string value) =>
        value is "runtime/default" or "docker/default" || value.StartsWith("localhost/", StringComparison.Ordinal);
}
