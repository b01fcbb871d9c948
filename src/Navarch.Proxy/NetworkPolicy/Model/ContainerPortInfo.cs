namespace Navarch.Proxy.NetworkPolicy.Model;

/// <summary>A named container port of a pod, what a NetworkPolicy's named port resolves against.</summary>
/// <param name="Name">The port's name (an IANA_SVC_NAME).</param>
/// <param name="Protocol">TCP, UDP or SCTP.</param>
/// <param name="Port">The container port.</param>
internal sealed record ContainerPortInfo(string Name, string Protocol, int Port);
