using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Server;

/// <summary>Finds a pod's CRI containers and sandbox by the Kubernetes labels the pod worker puts on them.</summary>
internal sealed class PodRuntimeLookup(IRuntimeService runtime)
{
    /// <summary>The runtime's containers of one pod container, newest attempt first (the current one, then the previous).</summary>
    public async Task<IReadOnlyList<Container>> ContainersAsync(string podUid, string container, CancellationToken cancellationToken)
    {
        var filter = new ContainerFilter();
        filter.LabelSelector[CriLabels.PodUid] = podUid;
        filter.LabelSelector[CriLabels.ContainerName] = container;
        IReadOnlyList<Container> list = await runtime.ListContainersAsync(filter, cancellationToken).ConfigureAwait(false);
        return [.. list.OrderByDescending(c => c.Metadata?.Attempt ?? 0).ThenByDescending(c => c.CreatedAt)];
    }

    /// <summary>The pod's ready sandbox, if it has one.</summary>
    public async Task<string?> SandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        var filter = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxReady } };
        filter.LabelSelector[CriLabels.PodUid] = podUid;
        IReadOnlyList<PodSandbox> list = await runtime.ListPodSandboxAsync(filter, cancellationToken).ConfigureAwait(false);
        return list.OrderByDescending(s => s.CreatedAt).FirstOrDefault()?.Id;
    }

    /// <summary>The container's status (log path, state), or null when the runtime no longer has it.</summary>
    public async Task<ContainerStatus?> StatusAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            return await runtime.ContainerStatusAsync(containerId, cancellationToken).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
        {
            return null;
        }
    }
}
