using System.Net;
using k8s.Models;

namespace Navarch.Api;

/// <summary>
/// A request failed for a reason the client caused or can act on. Carries the <c>metav1.Status</c> the API server
/// returns; build one through <see cref="ApiErrors"/> so codes, reasons and messages match Kubernetes.
/// </summary>
public sealed class StatusException : Exception
{
    /// <summary>Wraps a failure status.</summary>
    public StatusException(V1Status status, Exception? inner = null)
        : base(status?.Message, inner)
    {
        ArgumentNullException.ThrowIfNull(status);
        Status = status;
    }

    /// <summary>The status to return, with kind, apiVersion, status "Failure", message, reason, details and code.</summary>
    public V1Status Status { get; }

    /// <summary>The HTTP status code.</summary>
    public HttpStatusCode Code => (HttpStatusCode)(Status.Code ?? 500);
}
