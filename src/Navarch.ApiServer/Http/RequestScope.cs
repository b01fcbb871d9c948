using Microsoft.AspNetCore.Http;

namespace Navarch.ApiServer.Http;

/// <summary>
/// What kube-apiserver carries in a request's context for the layers below HTTP: the authenticated user, the warning
/// recorder and the audit annotations. Set once per request after authentication and flowing with the request's
/// async calls, so the registry and admission plugins reach them without each signature growing a parameter; null
/// outside a request (the server's own bootstrap writes).
/// </summary>
internal sealed class RequestScope
{
    private static readonly AsyncLocal<RequestScope?> Scope = new();

    private readonly Dictionary<string, string> _auditAnnotations = new(StringComparer.Ordinal);

    private RequestScope(UserInfo user, WarningRecorder warnings)
    {
        User = user;
        Warnings = warnings;
    }

    /// <summary>The scope of the request being served, or null.</summary>
    public static RequestScope? Current => Scope.Value;

    /// <summary>Who is making the request.</summary>
    public UserInfo User { get; }

    /// <summary>Warnings for the response.</summary>
    public WarningRecorder Warnings { get; }

    /// <summary>The audit annotations recorded so far (for the audit log's event of this request).</summary>
    public IReadOnlyDictionary<string, string> AuditAnnotations
    {
        get
        {
            lock (_auditAnnotations)
            {
                return new Dictionary<string, string>(_auditAnnotations, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Starts the scope of a request; disposing it ends the scope.</summary>
    public static IDisposable Begin(HttpContext context, UserInfo user)
    {
        RequestScope? previous = Scope.Value;
        var scope = new RequestScope(user, new WarningRecorder(context.Response));
        Scope.Value = scope;
        // Also in the request's features: the audit event reads the annotations when the response completes.
        context.Features.Set(scope);
        return new End(previous);
    }

    /// <summary>Records an audit annotation; as in Kubernetes, the first value of a key stays.</summary>
    public void AddAuditAnnotation(string key, string value)
    {
        lock (_auditAnnotations)
        {
            _auditAnnotations.TryAdd(key, value);
        }
    }

    private sealed class End(RequestScope? previous) : IDisposable
    {
        public void Dispose() => Scope.Value = previous;
    }
}
