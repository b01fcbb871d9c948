using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// Keeps one <see cref="PodWorker"/> per pod UID bound to this node, fed by the pod informer; a worker ends when
/// its pod has been torn down. Also removes sandboxes of pods that no longer exist (deleted while the agent was down).
/// </summary>
internal sealed partial class PodWorkers(PodWorkerDependencies deps, ILoggerFactory loggers, CancellationToken stopping)
    : IResourceEventHandler<V1Pod>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (PodWorker Worker, Task Task)> _workers = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<PodWorkers>();

    public void OnAdd(V1Pod obj) => Deliver(obj, deleted: false);

    public void OnUpdate(V1Pod oldObj, V1Pod newObj) => Deliver(newObj, deleted: false);

    public void OnDelete(V1Pod lastKnown, bool finalStateUnknown) => Deliver(lastKnown, deleted: true);

    private void Deliver(V1Pod pod, bool deleted)
    {
        string uid = pod.Metadata.Uid;
        lock (_lock)
        {
            if (_workers.TryGetValue(uid, out var entry))
            {
                entry.Worker.Update(pod, deleted);
                return;
            }

            if (stopping.IsCancellationRequested)
            {
                return;
            }

            var worker = new PodWorker(pod, deps, loggers.CreateLogger<PodWorker>());
            if (deleted)
            {
                worker.Update(pod, deleted: true);
            }

            _workers[uid] = (worker, RunWorkerAsync(worker));
        }
    }

    private async Task RunWorkerAsync(PodWorker worker)
    {
        await Task.Yield();
        await worker.RunAsync(stopping).ConfigureAwait(false);
        lock (_lock)
        {
            _workers.Remove(worker.Uid);
        }
    }

    /// <summary>Stops and removes sandboxes this agent made for pods not in <paramref name="known"/>.</summary>
    public async Task RemoveOrphansAsync(IReadOnlySet<string> known, CancellationToken cancellationToken)
    {
        var filter = new PodSandboxFilter();
        filter.LabelSelector[CriLabels.ManagedBy] = "true";
        foreach (PodSandbox sandbox in await deps.Runtime.ListPodSandboxAsync(filter, cancellationToken).ConfigureAwait(false))
        {
            if (sandbox.Labels.TryGetValue(CriLabels.PodUid, out string? uid) && !known.Contains(uid))
            {
                LogOrphan(_logger, sandbox.Id, uid);
                await deps.Runtime.StopPodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
                await deps.Runtime.RemovePodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits for the workers to notice the stop (they leave pods running).</summary>
    public async Task WaitAsync()
    {
        Task[] tasks;
        lock (_lock)
        {
            tasks = [.. _workers.Values.Select(w => w.Task)];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing sandbox {Sandbox} of pod {Uid}, which no longer exists")]
    private static partial void LogOrphan(ILogger logger, string sandbox, string uid);
}
