namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// One check's verdict on one pod: allowed, or a short reason ("host namespaces") and an optional detail naming what
/// is wrong ("hostNetwork=true"), as pod-security-admission's <c>policy.CheckResult</c>.
/// </summary>
internal readonly record struct CheckResult(bool Allowed, string ForbiddenReason, string ForbiddenDetail)
{
    /// <summary>The pod passes the check.</summary>
    public static CheckResult Pass => new(true, "", "");

    /// <summary>The pod fails the check.</summary>
    public static CheckResult Fail(string reason, string detail) => new(false, reason, detail);
}
