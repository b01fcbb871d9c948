using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>What the checks read of a container, init container or ephemeral container.</summary>
internal sealed record ContainerSecurity(string Name, V1SecurityContext? SecurityContext, IList<V1ContainerPort>? Ports);
