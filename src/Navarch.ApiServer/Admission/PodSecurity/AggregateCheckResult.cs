namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>The failed checks of one evaluation, in check order (pod-security-admission's <c>AggregateCheckResult</c>).</summary>
internal sealed class AggregateCheckResult
{
    private readonly List<CheckResult> _failures;

    public AggregateCheckResult(IEnumerable<CheckResult> results)
    {
        _failures = results.Where(r => !r.Allowed).ToList();
    }

    /// <summary>True when every check passed.</summary>
    public bool Allowed => _failures.Count == 0;

    /// <summary>The reasons alone, e.g. <c>host namespaces, privileged</c> (the per-pod line of a namespace label warning).</summary>
    public string ForbiddenReason => string.Join(", ", _failures.Select(Reason));

    /// <summary>Each reason with its detail in parentheses, e.g. <c>host namespaces (hostNetwork=true), privileged (...)</c>.</summary>
    public string ForbiddenDetail => string.Join(", ", _failures.Select(f => f.ForbiddenDetail.Length == 0 ? Reason(f) : $"{Reason(f)} ({f.ForbiddenDetail})"));

    private static string Reason(CheckResult result) => result.ForbiddenReason.Length == 0 ? "unknown forbidden reason" : result.ForbiddenReason;
}
