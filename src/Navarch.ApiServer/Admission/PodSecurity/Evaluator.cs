using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// Runs the checks of a level at a version against a pod (pod-security-admission's <c>checkRegistry</c>): for each
/// policy version from v1.0 to the newest any check knows, the revision of each check in force then, ordered by
/// check id with baseline checks first. Restricted runs its own checks plus the baseline checks no restricted
/// revision overrides. <c>latest</c>, and any version newer than the newest known, evaluate as the newest.
/// </summary>
internal sealed class Evaluator
{
    private readonly CheckPod[][] _baseline;

    private readonly CheckPod[][] _restricted;

    public Evaluator(IReadOnlyList<Check> checks)
    {
        int max = checks.Max(c => c.Versions[^1].MinimumVersion.Minor);
        _baseline = new CheckPod[max + 1][];
        _restricted = new CheckPod[max + 1][];
        List<Check> ordered =
        [
            .. checks.Where(c => c.Level == Level.Baseline).OrderBy(c => c.Id, StringComparer.Ordinal),
            .. checks.Where(c => c.Level == Level.Restricted).OrderBy(c => c.Id, StringComparer.Ordinal),
        ];
        for (int minor = 0; minor <= max; minor++)
        {
            var inForce = ordered.Select(c => (Check: c, Revision: c.Versions.LastOrDefault(v => v.MinimumVersion.Minor <= minor))).Where(c => c.Revision is not null).ToList();
            var overridden = inForce.Where(c => c.Check.Level == Level.Restricted).SelectMany(c => c.Revision!.OverrideCheckIds ?? []).ToHashSet(StringComparer.Ordinal);
            _baseline[minor] = inForce.Where(c => c.Check.Level == Level.Baseline).Select(c => c.Revision!.CheckPod).ToArray();
            _restricted[minor] = inForce.Where(c => c.Check.Level == Level.Restricted || !overridden.Contains(c.Check.Id)).Select(c => c.Revision!.CheckPod).ToArray();
        }
    }

    /// <summary>The evaluator of every built-in check.</summary>
    public static Evaluator Default { get; } = new(PodSecurityChecks.All);

    /// <summary>The newest policy version with a check of its own; latest evaluates as this.</summary>
    public PolicyVersion NewestVersion => PolicyVersion.V1(_baseline.Length - 1);

    /// <summary>The verdict of every check the level and version run on the pod (none for privileged).</summary>
    public AggregateCheckResult Evaluate(LevelVersion policy, V1ObjectMeta metadata, V1PodSpec spec)
    {
        if (policy.Level == Level.Privileged)
        {
            return new AggregateCheckResult([]);
        }

        int minor = policy.Version.IsLatest ? _baseline.Length - 1 : Math.Min(policy.Version.Minor, _baseline.Length - 1);
        CheckPod[] checks = policy.Level == Level.Baseline ? _baseline[minor] : _restricted[minor];
        return new AggregateCheckResult(checks.Select(check => check(metadata, spec)));
    }
}
