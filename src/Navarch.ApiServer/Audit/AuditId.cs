using Microsoft.AspNetCore.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// k8s.io/apiserver's audit init filter: every request has an audit ID — the client's <c>Audit-ID</c> header if it sent
/// one, else a new UUID — echoed in the <c>Audit-Id</c> response header, whether or not the request is audited.
/// </summary>
internal static class AuditId
{
    public const string Header = "Audit-Id";

    /// <summary>Gives the request its ID and answers with it.</summary>
    public static void Init(HttpContext context)
    {
        string id = context.Request.Headers[Header].ToString();
        context.Response.Headers[Header] = id.Length > 0 ? id : Guid.NewGuid().ToString();
    }

    /// <summary>The request's ID.</summary>
    public static string Of(HttpContext context) => context.Response.Headers[Header].ToString();
}
