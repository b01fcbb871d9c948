namespace Navarch.ApiServer.Audit;

/// <summary>The points in serving a request at which an event may be written (audit.k8s.io/v1 <c>Stage</c>).</summary>
internal enum AuditStage
{
    /// <summary>As soon as the request is received (after authentication), before it is handled.</summary>
    RequestReceived,

    /// <summary>Once the response headers are sent, for long-running requests only (watch, exec, log, ...).</summary>
    ResponseStarted,

    /// <summary>Once the response is complete.</summary>
    ResponseComplete,

    /// <summary>When serving failed with an unexpected error.</summary>
    Panic,
}
