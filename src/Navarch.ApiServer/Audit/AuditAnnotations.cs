using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>The audit annotations the API server itself records on a request (beside admission's).</summary>
internal static class AuditAnnotations
{
    public const string Decision = "authorization.k8s.io/decision";
    public const string Reason = "authorization.k8s.io/reason";

    /// <summary>
    /// The authorizer's answer to the request (k8s.io/apiserver's authorization filter): <c>allow</c> or <c>forbid</c>,
    /// and the reason it gave (an allowing authorizer here gives none).
    /// </summary>
    public static void RecordDecision(string? refusal)
    {
        if (RequestScope.Current is { } scope)
        {
            scope.AddAuditAnnotation(Decision, refusal is null ? "allow" : "forbid");
            scope.AddAuditAnnotation(Reason, refusal ?? "");
        }
    }
}
