using Navarch.Kubelet.Cri;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Server;

/// <summary>Finds a pod's CRI containers and sandbox by the Kubernetes labels the pod worker puts on them.</summary>
internal sealed class PodRuntimeLookup(CriConnection cri)
{
    /// <summary>The runtime's containers of one pod container, newest attempt first (the current one, then the previous).</summary>
    public async Task<IReadOnlyList<Container>> ContainersAsync(string podUid, string container, CancellationToken cancellationToken)
    {
        var filter = new ContainerFilter();
        filter.LabelSelector[CriLabels.PodUid] = podUid;
        filter.LabelSelector[CriLabels.ContainerName] = container;
        ListContainersResponse list = await cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. list.Containers.OrderByDescending(c => c.Metadata?.Attempt ?? 0).ThenByDescending(c => c.CreatedAt)];
    }

    /// <summary>The pod's ready sandbox, if it has one.</summary>
    public async Task<string?> SandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        var filter = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxReady } };
        filter.LabelSelector[CriLabels.PodUid] = podUid;
        ListPodSandboxResponse list = await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return list.Items.OrderByDescending(s => s.CreatedAt).FirstOrDefault()?.Id;
    }

    /// <summary>The container's status (log path, state), or null when the runtime no longer has it.</summary>
    public async Task<ContainerStatus?> StatusAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            return (await cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, cancellationToken: cancellationToken).ConfigureAwait(false)).Status;
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
        {
            return null;
        }
    }
}
