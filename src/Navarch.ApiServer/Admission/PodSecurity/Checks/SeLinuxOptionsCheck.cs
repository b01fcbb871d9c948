using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Baseline: the SELinux type is limited to the container types and user and role may not be set
/// (securityContext.seLinuxOptions of the pod and every container); container_engine_t is allowed from v1.31.
/// </summary>
internal static class SeLinuxOptionsCheck
{
    public static Check Check { get; } = new("seLinuxOptions", Level.Baseline,
    [
        new VersionedCheck(PolicyVersion.V1(0), Allowing("", "container_t", "container_init_t", "container_kvm_t")),
        new VersionedCheck(PolicyVersion.V1(31), Allowing("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")),
    ]);

    internal static CheckPod Allowing(params string[] types)
    {
        var allowed = new HashSet<string>(types, StringComparer.Ordinal);
        return (metadata, spec) =>
        {
            var badTypes = new List<string>();
            bool setUser = false;
            bool setRole = false;
            bool Valid(V1SELinuxOptions options)
            {
                bool valid = true;
                if (!allowed.Contains(options.Type ?? ""))
                {
                    valid = false;
                    badTypes.Add(options.Type ?? "");
                }

                if (!string.IsNullOrEmpty(options.User))
                {
                    valid = false;
                    setUser = true;
                }

                if (!string.IsNullOrEmpty(options.Role))
                {
                    valid = false;
                    setRole = true;
                }

                return valid;
            }

            var setters = new List<string>();
            if (spec.SecurityContext?.SeLinuxOptions is { } podOptions && !Valid(podOptions))
            {
                setters.Add("pod");
            }

            var bad = CheckHelpers.Containers(spec).Where(c => c.SecurityContext?.SeLinuxOptions is { } o && !Valid(o)).Select(c => c.Name).ToList();
            if (bad.Count > 0)
            {
                setters.Add(CheckHelpers.Containers(bad));
            }

            if (setters.Count == 0)
            {
                return CheckResult.Pass;
            }

            var problems = new List<string>();
            List<string> distinctTypes = CheckHelpers.SortedSet(badTypes);
            if (distinctTypes.Count > 0)
            {
                problems.Add($"{CheckHelpers.Pluralize("type", "types", distinctTypes.Count)} {CheckHelpers.JoinQuote(distinctTypes)}");
            }

            if (setUser)
            {
                problems.Add("user may not be set");
            }

            if (setRole)
            {
                problems.Add("role may not be set");
            }

            return CheckResult.Fail("seLinuxOptions", $"{string.Join(" and ", setters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", problems)}");
        };
    }
}
