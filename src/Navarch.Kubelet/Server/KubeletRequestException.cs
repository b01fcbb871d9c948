using System.Net;

namespace Navarch.Kubelet.Server;

/// <summary>A request the kubelet API refuses, answered as a Kubernetes Status with this code and reason.</summary>
internal sealed class KubeletRequestException(HttpStatusCode code, string reason, string message) : Exception(message)
{
    public HttpStatusCode Code { get; } = code;

    public string Reason { get; } = reason;

    public static KubeletRequestException BadRequest(string message) => new(HttpStatusCode.BadRequest, "BadRequest", message);
}
