using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Admission;

/// <summary>The operation an admission plugin sees.</summary>
internal enum AdmissionOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// One write on its way to the store, as admission plugins see it (Kubernetes' admission.Attributes);
/// <c>Subresource</c> is null for the resource itself, else e.g. "status", "scale" or "binding". <see cref="User"/> is who
/// asks: the request's authenticated user unless set.
/// </summary>
internal sealed record AdmissionRequest(
    AdmissionOperation Operation,
    ResourceDefinition Resource,
    string? Namespace,
    string Name,
    IKubernetesObject<V1ObjectMeta>? Object,
    IKubernetesObject<V1ObjectMeta>? OldObject,
    string? Subresource)
{
    private readonly Dictionary<string, string> _auditAnnotations = new(StringComparer.Ordinal);

    private readonly List<string> _warnings = [];

    private readonly Http.RequestScope? _scope = Http.RequestScope.Current;

    /// <summary>The user making the request (after impersonation); null for the server's own writes (bootstrap).</summary>
    public Http.UserInfo? User { get; init; } = Http.RequestScope.Current?.User;

    /// <summary>True for a dry run (<c>?dryRun=All</c>): nothing will be stored.</summary>
    public bool DryRun { get; init; }

    /// <summary>The name of <see cref="User"/>; empty for the server's own writes.</summary>
    public string UserName => User?.Name ?? "";

    /// <summary>The warnings plugins returned to the client.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The audit annotations plugins recorded on this request (Kubernetes' <c>Attributes.AddAnnotation</c>).</summary>
    public IReadOnlyDictionary<string, string> AuditAnnotations => _auditAnnotations;

    /// <summary>Records an audit annotation here and on the HTTP request, where the audit log will read it; the first value of a key stays.</summary>
    public void AddAuditAnnotation(string key, string value)
    {
        if (_auditAnnotations.TryAdd(key, value))
        {
            _scope?.AddAuditAnnotation(key, value);
        }
    }

    /// <summary>Returns a warning to the client with the response (<c>Warning: 299 - "..."</c>).</summary>
    public void AddWarning(string text)
    {
        _warnings.Add(text);
        _scope?.Warnings.Add(text);
    }
}
