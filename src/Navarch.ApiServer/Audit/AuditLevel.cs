namespace Navarch.ApiServer.Audit;

/// <summary>
/// How much of a request is recorded (audit.k8s.io/v1 <c>Level</c>), in increasing order so levels compare as
/// Kubernetes' <c>Level.Less</c>: <see cref="None"/> records nothing, <see cref="Metadata"/> the request's metadata
/// (user, verb, resource, response status, annotations), <see cref="Request"/> also the request object, and
/// <see cref="RequestResponse"/> also the response object. Objects are recorded for resource requests only.
/// </summary>
internal enum AuditLevel
{
    /// <summary>No event.</summary>
    None,

    /// <summary>Metadata only.</summary>
    Metadata,

    /// <summary>Metadata and the request object.</summary>
    Request,

    /// <summary>Metadata, the request object and the response object.</summary>
    RequestResponse,
}
