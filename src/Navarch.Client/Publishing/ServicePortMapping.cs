namespace Navarch.Client.Publishing;

/// <summary>A named port of a published Service: the Service's port and the port its endpoint listens on.</summary>
/// <param name="Name">The port name (e.g. <c>dns</c>).</param>
/// <param name="Protocol">TCP, UDP or SCTP.</param>
/// <param name="ServicePort">The port on the ClusterIP.</param>
/// <param name="TargetPort">The port on the endpoint address.</param>
public sealed record ServicePortMapping(string Name, string Protocol, int ServicePort, int TargetPort);
