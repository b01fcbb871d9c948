using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// Plays the kubelet where none runs: marks the pods it is told about Running and Ready, the way a kubelet reports
/// started containers, so controllers see their pods become available.
/// </summary>
public sealed class PlayedKubelet : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts marking pods of <paramref name="namespace"/> ready when <paramref name="shouldRun"/> says so.</summary>
    public PlayedKubelet(Kubernetes client, string @namespace, Func<V1Pod, bool> shouldRun)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    foreach (V1Pod pod in (await client.CoreV1.ListNamespacedPodAsync(@namespace, cancellationToken: _stop.Token)).Items)
                    {
                        if (pod.Metadata.DeletionTimestamp is null && pod.Status?.Phase != "Running" && shouldRun(pod))
                        {
                            await MarkReadyAsync(client, pod, _stop.Token);
                        }
                    }

                    await Task.Delay(30, _stop.Token);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    // The pod changed or went away under us: look again.
                }
            }
        });
    }

    /// <summary>Sets a pod Running with a Ready condition that has held for a minute.</summary>
    public static async Task MarkReadyAsync(Kubernetes client, V1Pod pod, CancellationToken cancellationToken = default)
    {
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = "10.42.0.10",
            Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow.AddMinutes(-1) }],
        };
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
