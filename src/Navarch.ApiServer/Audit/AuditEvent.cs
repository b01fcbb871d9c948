using k8s.Models;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// The audit event of one request (audit.k8s.io/v1 <c>Event</c>), filled in as the request is served and written once
/// per stage (<see cref="AuditEventWriter"/>). Request and response objects are kept as the JSON they were sent or
/// answered with, captured without reading a stream twice.
/// </summary>
internal sealed class AuditEvent
{
    public required AuditLevel Level { get; init; }

    public required string AuditId { get; init; }

    public required string RequestUri { get; init; }

    public required string Verb { get; init; }

    /// <summary>The authenticated user; null when authentication failed (an empty <c>user</c>).</summary>
    public UserInfo? User { get; init; }

    /// <summary>The user the request acted as through <c>Impersonate-*</c> headers, or null.</summary>
    public UserInfo? ImpersonatedUser { get; set; }

    public IReadOnlyList<string> SourceIps { get; init; } = [];

    public string UserAgent { get; init; } = "";

    /// <summary>The object of a resource request; null for non-resource requests.</summary>
    public AuditObjectReference? ObjectRef { get; init; }

    /// <summary>The status the response carried (a Status object's status, message, reason and details), or null.</summary>
    public V1Status? ResponseStatus { get; set; }

    /// <summary>The HTTP status code, once the response has started.</summary>
    public int? ResponseCode { get; set; }

    /// <summary>The request object as JSON (Request level and above).</summary>
    public string? RequestObject { get; set; }

    /// <summary>The response object as JSON (RequestResponse level).</summary>
    public string? ResponseObject { get; set; }

    /// <summary>Whether an object was left out for its size (the event then says <c>audit.k8s.io/truncated</c>).</summary>
    public bool Truncated { get; set; }

    public required DateTimeOffset RequestReceivedTimestamp { get; init; }

    /// <summary>Annotations from authorization and admission (<c>authorization.k8s.io/decision</c>, <c>pod-security.kubernetes.io/*</c>).</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; set; }
}
