namespace Navarch.Proxy.Rules;

/// <summary>One endpoint of a Service port from an EndpointSlice, with its conditions.</summary>
/// <param name="Ip">The address.</param>
/// <param name="Port">The target port.</param>
/// <param name="Ready">conditions.ready (unset counts as ready).</param>
/// <param name="Serving">conditions.serving (unset: as ready).</param>
/// <param name="Terminating">conditions.terminating.</param>
/// <param name="IsLocal">Whether the endpoint's nodeName is this node.</param>
internal sealed record EndpointInfo(string Ip, int Port, bool Ready, bool Serving, bool Terminating, bool IsLocal)
{
    /// <summary><c>ip:port</c>.</summary>
    public string Address { get; } = $"{Ip}:{Port}";
}
