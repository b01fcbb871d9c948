using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Runtime;

/// <summary>
/// The runtime half of the CRI, shaped like cri-api's <c>internalapi.RuntimeService</c>: pod sandboxes, containers,
/// exec / attach / port-forward, container stats and the runtime's own status. The kubelet talks to the runtime only
/// through this and <see cref="IImageService"/>. Failures are <see cref="Grpc.Core.RpcException"/>s with the
/// runtime's status code (NotFound for an ID it does not know), as CRI errors are gRPC statuses.
/// </summary>
public interface IRuntimeService
{
    /// <summary>The runtime's name and version, for the CRI <paramref name="apiVersion"/> (e.g. <c>v1</c>).</summary>
    Task<VersionResponse> VersionAsync(string apiVersion, CancellationToken cancellationToken);

    /// <summary>The runtime's conditions (RuntimeReady, NetworkReady).</summary>
    Task<StatusResponse> StatusAsync(CancellationToken cancellationToken);

    /// <summary>Creates and starts a pod sandbox on <paramref name="runtimeHandler"/> ("" for the runtime's default, else a RuntimeClass's handler); returns its ID.</summary>
    Task<string> RunPodSandboxAsync(PodSandboxConfig config, string runtimeHandler, CancellationToken cancellationToken);

    /// <summary>Stops a sandbox and every process in it, and releases its network.</summary>
    Task StopPodSandboxAsync(string podSandboxId, CancellationToken cancellationToken);

    /// <summary>Removes a stopped sandbox and its containers.</summary>
    Task RemovePodSandboxAsync(string podSandboxId, CancellationToken cancellationToken);

    /// <summary>A sandbox's state and network; <paramref name="verbose"/> adds the runtime's extra info.</summary>
    Task<PodSandboxStatusResponse> PodSandboxStatusAsync(string podSandboxId, bool verbose, CancellationToken cancellationToken);

    /// <summary>The sandboxes that match <paramref name="filter"/> (all when null).</summary>
    Task<IReadOnlyList<PodSandbox>> ListPodSandboxAsync(PodSandboxFilter? filter, CancellationToken cancellationToken);

    /// <summary>Creates a container in a sandbox; returns its ID.</summary>
    Task<string> CreateContainerAsync(string podSandboxId, ContainerConfig config, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken);

    /// <summary>Starts a created container.</summary>
    Task StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Stops a running container: SIGTERM, then SIGKILL after <paramref name="timeout"/> seconds.</summary>
    Task StopContainerAsync(string containerId, long timeout, CancellationToken cancellationToken);

    /// <summary>Removes a container.</summary>
    Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>The containers that match <paramref name="filter"/> (all when null).</summary>
    Task<IReadOnlyList<Container>> ListContainersAsync(ContainerFilter? filter, CancellationToken cancellationToken);

    /// <summary>A container's state, exit code, times, mounts and log path.</summary>
    Task<ContainerStatus> ContainerStatusAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> in a container and returns its output and exit code; the runtime ends it after
    /// <paramref name="timeout"/> (zero: no limit).
    /// </summary>
    Task<ExecSyncResponse> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Prepares a streaming exec; the response holds the runtime's streaming URL.</summary>
    Task<ExecResponse> ExecAsync(ExecRequest request, CancellationToken cancellationToken);

    /// <summary>Prepares a streaming attach; the response holds the runtime's streaming URL.</summary>
    Task<AttachResponse> AttachAsync(AttachRequest request, CancellationToken cancellationToken);

    /// <summary>Prepares a port-forward into a sandbox; the response holds the runtime's streaming URL.</summary>
    Task<PortForwardResponse> PortForwardAsync(PortForwardRequest request, CancellationToken cancellationToken);

    /// <summary>CPU, memory and writable-layer usage of the containers that match <paramref name="filter"/>.</summary>
    Task<IReadOnlyList<ContainerStats>> ListContainerStatsAsync(ContainerStatsFilter? filter, CancellationToken cancellationToken);
}
