using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.ApiServer.Aggregator;
using Navarch.ApiServer.Pki;
using Navarch.ApiServer.Registry;
using Navarch.Client.Queue;
using Navarch.Storage;

namespace Navarch.ApiServer.Reconcilers;

/// <summary>
/// kube-apiserver's cluster_authentication_trust_controller: keeps <c>kube-system/extension-apiserver-authentication</c>
/// (<see cref="ExtensionApiServerAuthentication"/>) written. Any change to that ConfigMap — an edit, a delete — queues
/// its one key, as does a check every minute; the single worker re-reads it, adds this server's values, and writes it
/// (creating kube-system first if it is gone) only when that changes something. A failure is retried with client-go's
/// default controller back-off.
/// </summary>
internal sealed partial class ClusterAuthenticationTrustController(StoreRegistry stores, ClusterPki pki, FrontProxyPki frontProxy, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private const string Key = ExtensionApiServerAuthentication.Namespace + "/" + ExtensionApiServerAuthentication.Name;

    private static readonly TimeSpan Resync = TimeSpan.FromMinutes(1);

    private readonly WorkQueue<string> _queue = new(time, RateLimiters.DefaultController<string>(time));
    private readonly CancellationTokenSource _stop = new();
    private Task _loops = Task.CompletedTask;

    private GenericStore ConfigMaps => stores.For("", "v1", "configmaps");

    /// <summary>Writes the ConfigMap once (before the server takes requests; a failure is logged and retried), then keeps it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        (_, long revision) = await ConfigMaps.ListCachedAsync(ExtensionApiServerAuthentication.Namespace, cancellationToken);
        if (!await TrySyncAsync(cancellationToken))
        {
            _queue.AddRateLimited(Key);
        }

        _loops = Task.WhenAll(
            Task.Run(() => WatchAsync(revision, _stop.Token), CancellationToken.None),
            Task.Run(() => ResyncAsync(_stop.Token), CancellationToken.None),
            Task.Run(() => WorkAsync(_stop.Token), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _queue.ShutDown();
        try
        {
            await _loops;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _queue.Dispose();
    }

    /// <summary>One pass of syncConfigMap; true when the ConfigMap is as it should be.</summary>
    internal async Task<bool> TrySyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SyncAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is StatusException or StorageException or FormatException)
        {
            LogSyncFailed(logger, e);
            return false;
        }
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        GenericStore configMaps = ConfigMaps;
        V1ConfigMap? current;
        try
        {
            current = (V1ConfigMap)await configMaps.GetAsync(ExtensionApiServerAuthentication.Namespace, ExtensionApiServerAuthentication.Name, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Code == 404)
        {
            current = null;
        }

        Dictionary<string, string> data = ExtensionApiServerAuthentication.Data(current?.Data, pki, frontProxy, time.GetUtcNow());
        if (current?.Data is { } had && had.Count == data.Count && data.All(kv => had.TryGetValue(kv.Key, out string? v) && v == kv.Value))
        {
            return;
        }

        LogWriting(logger, ExtensionApiServerAuthentication.Namespace, ExtensionApiServerAuthentication.Name);
        if (current is null)
        {
            await EnsureNamespaceAsync(cancellationToken);
            var created = new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = new V1ObjectMeta { Name = ExtensionApiServerAuthentication.Name, NamespaceProperty = ExtensionApiServerAuthentication.Namespace },
                Data = data,
            };
            await configMaps.CreateAsync(created, dryRun: false, cancellationToken);
            return;
        }

        // An update conditional on what was read: a write meanwhile is a conflict, retried on the re-read it queues.
        await configMaps.UpdateAsync(ExtensionApiServerAuthentication.Namespace, ExtensionApiServerAuthentication.Name, null, UpdateKind.Resource, dryRun: false, stored =>
        {
            if (stored.Metadata.ResourceVersion != current.Metadata.ResourceVersion)
            {
                throw ApiErrors.Conflict(configMaps.Definition.GroupResource, ExtensionApiServerAuthentication.Name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            var map = (V1ConfigMap)ObjectCodec.Clone(configMaps.Definition, stored);
            map.Data = data;
            return map;
        }, cancellationToken);
    }

    private async Task EnsureNamespaceAsync(CancellationToken cancellationToken)
    {
        GenericStore namespaces = stores.For("", "v1", "namespaces");
        try
        {
            await namespaces.GetAsync(null, ExtensionApiServerAuthentication.Namespace, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Code == 404)
        {
            try
            {
                await namespaces.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = ExtensionApiServerAuthentication.Namespace } }, dryRun: false, cancellationToken);
            }
            catch (StatusException exists) when (exists.Status.Reason == "AlreadyExists")
            {
            }
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            (string? key, bool shutDown) = await _queue.GetAsync(cancellationToken);
            if (shutDown)
            {
                return;
            }

            if (await TrySyncAsync(cancellationToken))
            {
                _queue.Forget(key!);
            }
            else
            {
                _queue.AddRateLimited(key!);
            }

            _queue.Done(key!);
        }
    }

    /// <summary>Queues the key on every event of the ConfigMap; a broken watch is started again from a fresh list.</summary>
    private async Task WatchAsync(long since, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (WatchEvent e in ConfigMaps.WatchAsync(ExtensionApiServerAuthentication.Namespace, since, cancellationToken))
                {
                    since = e.Revision;
                    if (e.Kv.Key.EndsWith("/" + ExtensionApiServerAuthentication.Name, StringComparison.Ordinal))
                    {
                        _queue.Add(Key);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StorageException or InvalidOperationException)
            {
                LogWatchFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                (_, since) = await ConfigMaps.ListCachedAsync(ExtensionApiServerAuthentication.Namespace, cancellationToken);
                _queue.Add(Key);
            }
        }
    }

    /// <summary>Checks are cheap: one a minute besides the events, as kube's controller does.</summary>
    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Resync, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                _queue.Add(Key);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "writing updated authentication info to {Namespace} configmaps/{Name}")]
    private static partial void LogWriting(ILogger logger, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "kube-system/extension-apiserver-authentication could not be synced; retrying")]
    private static partial void LogSyncFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "kube-system configmap watch ended; watching again")]
    private static partial void LogWatchFailed(ILogger logger, Exception e);
}
