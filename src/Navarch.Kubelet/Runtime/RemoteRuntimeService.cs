using Grpc.Net.Client;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Runtime;

/// <summary><see cref="IRuntimeService"/> over a CRI gRPC channel (cri-client's remoteRuntimeService).</summary>
internal sealed class RemoteRuntimeService(GrpcChannel channel, TimeProvider time) : IRuntimeService
{
    /// <summary>How long past an ExecSync's own timeout the call may take before the client gives up on the runtime.</summary>
    private static readonly TimeSpan ExecSyncSlack = TimeSpan.FromSeconds(2);

    private readonly RuntimeService.RuntimeServiceClient _client = new(channel);

    public async Task<VersionResponse> VersionAsync(string apiVersion, CancellationToken cancellationToken) =>
        await _client.VersionAsync(new VersionRequest { Version = apiVersion }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<StatusResponse> StatusAsync(CancellationToken cancellationToken) =>
        await _client.StatusAsync(new StatusRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, string runtimeHandler, CancellationToken cancellationToken) =>
        (await _client.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = runtimeHandler }, cancellationToken: cancellationToken).ConfigureAwait(false)).PodSandboxId;

    public async Task StopPodSandboxAsync(string podSandboxId, CancellationToken cancellationToken) =>
        await _client.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podSandboxId }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task RemovePodSandboxAsync(string podSandboxId, CancellationToken cancellationToken) =>
        await _client.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podSandboxId }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<PodSandboxStatusResponse> PodSandboxStatusAsync(string podSandboxId, bool verbose, CancellationToken cancellationToken) =>
        await _client.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = podSandboxId, Verbose = verbose }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<PodSandbox>> ListPodSandboxAsync(PodSandboxFilter? filter, CancellationToken cancellationToken) =>
        (await _client.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false)).Items;

    public async Task<string> CreateContainerAsync(string podSandboxId, ContainerConfig config, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken) =>
        (await _client.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = podSandboxId, Config = config, SandboxConfig = sandboxConfig }, cancellationToken: cancellationToken).ConfigureAwait(false)).ContainerId;

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        await _client.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task StopContainerAsync(string containerId, long timeout, CancellationToken cancellationToken) =>
        await _client.StopContainerAsync(new StopContainerRequest { ContainerId = containerId, Timeout = timeout }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        await _client.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<Container>> ListContainersAsync(ContainerFilter? filter, CancellationToken cancellationToken) =>
        (await _client.ListContainersAsync(new ListContainersRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false)).Containers;

    public async Task<ContainerStatus> ContainerStatusAsync(string containerId, CancellationToken cancellationToken) =>
        (await _client.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Status;

    public async Task<ExecSyncResponse> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ExecSyncRequest { ContainerId = containerId, Timeout = (long)timeout.TotalSeconds };
        request.Cmd.AddRange(command);

        // The runtime enforces the timeout; the deadline only keeps a runtime that never answers from holding the caller.
        DateTime? deadline = timeout > TimeSpan.Zero ? time.GetUtcNow().UtcDateTime + timeout + ExecSyncSlack : null;
        return await _client.ExecSyncAsync(request, deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<ExecResponse> ExecAsync(ExecRequest request, CancellationToken cancellationToken) =>
        await _client.ExecAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<AttachResponse> AttachAsync(AttachRequest request, CancellationToken cancellationToken) =>
        await _client.AttachAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<PortForwardResponse> PortForwardAsync(PortForwardRequest request, CancellationToken cancellationToken) =>
        await _client.PortForwardAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<ContainerStats>> ListContainerStatsAsync(ContainerStatsFilter? filter, CancellationToken cancellationToken) =>
        (await _client.ListContainerStatsAsync(new ListContainerStatsRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false)).Stats;
}
