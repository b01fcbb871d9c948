using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Authorization.Node;

/// <summary>
/// Keeps the <see cref="Graph"/> in step with the store (graph_populator.go), from the API server's own watch caches —
/// no loopback client: pods once bound to a node (added again only when their node, uid or ephemeral containers change,
/// the only parts of a bound pod's references that can), PersistentVolumes and VolumeAttachments. A broken watch lists again and
/// forgets what is gone. Started before the server serves, so no node request meets an empty graph.
/// </summary>
internal sealed partial class GraphPopulator(Graph graph, WatchCaches caches, ResourceCatalog catalog, ILogger<GraphPopulator> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, string> _pods = new(StringComparer.Ordinal);
    private Task _loops = Task.CompletedTask;

    /// <summary>Starts the watches; completes once the graph holds the first listing of every resource.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var podsSynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var volumesSynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attachmentsSynced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loops = Task.WhenAll(
            Task.Run(() => MirrorAsync(catalog.Find("", "v1", "pods")!, PutPod, DeletePod, podsSynced, _stop.Token), CancellationToken.None),
            Task.Run(() => MirrorAsync(catalog.Find("", "v1", "persistentvolumes")!, o => graph.AddPersistentVolume((V1PersistentVolume)o), (_, name) => graph.DeletePersistentVolume(name), volumesSynced, _stop.Token), CancellationToken.None),
            Task.Run(() => MirrorAsync(catalog.Find("storage.k8s.io", "v1", "volumeattachments")!, o => graph.AddVolumeAttachment(o.Metadata.Name, ((V1VolumeAttachment)o).Spec?.NodeName), (_, name) => graph.DeleteVolumeAttachment(name), attachmentsSynced, _stop.Token), CancellationToken.None));
        await Task.WhenAll(podsSynced.Task, volumesSynced.Task, attachmentsSynced.Task).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loops;
        _stop.Dispose();
    }

    private void PutPod(IKubernetesObject<V1ObjectMeta> obj)
    {
        var pod = (V1Pod)obj;
        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return;
        }

        string key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        string fingerprint = $"{pod.Metadata.Uid}/{pod.Spec.NodeName}/{pod.Spec.EphemeralContainers?.Count ?? 0}";
        if (_pods.GetValueOrDefault(key) != fingerprint)
        {
            _pods[key] = fingerprint;
            graph.AddPod(pod);
        }
    }

    private void DeletePod(string ns, string name)
    {
        _pods.Remove($"{ns}/{name}");
        graph.DeletePod(ns, name);
    }

    /// <summary>List, then watch from the list's revision, until stopped; each resource on its own task, so no locks.</summary>
    private async Task MirrorAsync(ResourceDefinition definition, Action<IKubernetesObject<V1ObjectMeta>> put, Action<string, string> delete, TaskCompletionSource synced, CancellationToken cancellationToken)
    {
        WatchCache cache = caches.For(definition);
        string prefix = definition.ListPrefix(null);
        var known = new HashSet<string>(StringComparer.Ordinal);
        void Delete(string key)
        {
            string rest = key[prefix.Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            delete(slash < 0 ? "" : rest[..slash], rest[(slash + 1)..]);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                (List<KeyValue> items, long revision) = await cache.ListAsync(prefix, cancellationToken);
                foreach (string gone in known.Except(items.Select(kv => kv.Key)).ToList())
                {
                    known.Remove(gone);
                    Delete(gone);
                }

                foreach (KeyValue kv in items)
                {
                    known.Add(kv.Key);
                    put(ObjectCodec.Decode(definition, kv));
                }

                synced.TrySetResult();
                await foreach (WatchEvent e in cache.WatchAsync(prefix, revision, cancellationToken))
                {
                    if (e.Type == Navarch.Storage.WatchEventType.Put)
                    {
                        known.Add(e.Kv.Key);
                        put(ObjectCodec.Decode(definition, e.Kv));
                    }
                    else if (known.Remove(e.Kv.Key))
                    {
                        Delete(e.Kv.Key);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A cut-off watch (too slow, compacted) or a bad object: list again rather than stop granting.
                LogRestart(logger, definition.Plural, e.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node authorizer graph: the watch of {Resource} restarts: {Reason}")]
    private static partial void LogRestart(ILogger logger, string resource, string reason);
}
