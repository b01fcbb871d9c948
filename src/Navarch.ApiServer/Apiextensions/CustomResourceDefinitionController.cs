using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.Api.Resources;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Apiextensions;

/// <summary>
/// apiextensions-apiserver's naming, establishing and finalizing controllers in one loop over the
/// CustomResourceDefinitions (the CRD watch of the API server's own store): a CRD gets its accepted names and its
/// <c>NamesAccepted</c>/<c>Established</c> conditions, and once established its served versions join the resource
/// catalog — from which routing, discovery and OpenAPI are served. A deleted CRD is <c>Terminating</c>: its objects
/// are deleted (no more creates), then its cleanup finalizer is removed and it stops being served.
/// </summary>
internal sealed partial class CustomResourceDefinitionController(StoreRegistry stores, ResourceCatalog catalog, Conversion.CustomResourceConversions conversions, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly Dictionary<string, (string Fingerprint, IReadOnlyList<ResourceDefinition> Definitions)> _served = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _watch = Task.CompletedTask;
    private Task _worker = Task.CompletedTask;

    private GenericStore Crds => stores.For("apiextensions.k8s.io", "v1", "customresourcedefinitions");

    /// <summary>Serves every established CRD (before the server takes requests), then follows changes.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        (List<KeyValue> items, long revision) = await Crds.ListCachedAsync(null, cancellationToken);
        foreach (KeyValue kv in items)
        {
            await SyncSafelyAsync(NameOf(kv.Key), cancellationToken);
        }

        _watch = Task.Run(() => WatchAsync(revision, _stop.Token), CancellationToken.None);
        _worker = Task.Run(() => WorkAsync(_stop.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_watch, _worker);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private static string NameOf(string key) => key[(key.LastIndexOf('/') + 1)..];

    private async Task WatchAsync(long since, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (WatchEvent e in Crds.WatchAsync(null, since, cancellationToken))
                {
                    since = e.Revision;
                    _queue.Writer.TryWrite(NameOf(e.Kv.Key));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Missed events (a compaction, a store hiccup): start again from a fresh list of every CRD.
                LogWatchFailed(logger, e);
                await Task.Delay(Retry, time, cancellationToken);
                (List<KeyValue> items, long revision) = await Crds.ListCachedAsync(null, cancellationToken);
                since = revision;
                foreach (string name in items.Select(kv => NameOf(kv.Key)).Concat(Known()))
                {
                    _queue.Writer.TryWrite(name);
                }
            }
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        await foreach (string name in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            await SyncSafelyAsync(name, cancellationToken);
        }
    }

    private async Task SyncSafelyAsync(string name, CancellationToken cancellationToken)
    {
        bool again;
        try
        {
            again = await SyncAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogSyncFailed(logger, name, e);
            again = true;
        }

        if (again)
        {
            _ = RequeueLaterAsync(name, cancellationToken);
        }
    }

    private async Task RequeueLaterAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Retry, time, cancellationToken);
            _queue.Writer.TryWrite(name);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string[] Known()
    {
        lock (_served)
        {
            return [.. _served.Keys];
        }
    }

    /// <summary>Brings one CRD's status and serving up to date; true when it must be looked at again later.</summary>
    private async Task<bool> SyncAsync(string name, CancellationToken cancellationToken)
    {
        V1CustomResourceDefinition? crd = await GetAsync(name, cancellationToken);
        if (crd is null)
        {
            if (Unserve(name))
            {
                // Names it held may be what another CRD of its group is waiting for.
                foreach (string other in (await ListAsync(cancellationToken)).Select(c => c.Metadata.Name))
                {
                    _queue.Writer.TryWrite(other);
                }
            }

            return false;
        }

        if (crd.Metadata.DeletionTimestamp is not null)
        {
            return await FinalizeAsync(crd, cancellationToken);
        }

        CustomResourceNaming.Outcome outcome = CustomResourceNaming.Calculate(crd, await ListAsync(cancellationToken), time.GetUtcNow().UtcDateTime);
        string storage = crd.Spec.Versions.FirstOrDefault(v => v.Storage)?.Name ?? crd.Spec.Versions[0].Name;
        if (outcome.Established.Status == "True")
        {
            // Served before it is reported Established: a client that waits for the condition finds its resources there.
            var established = (V1CustomResourceDefinition)ObjectCodec.Clone(Crds.Definition, crd);
            established.Status ??= new V1CustomResourceDefinitionStatus();
            established.Status.AcceptedNames = outcome.AcceptedNames;
            Serve(established, terminating: false);
        }

        if (!Same(crd.Status?.AcceptedNames, outcome.AcceptedNames)
            || !SameCondition(crd, outcome.NamesAccepted) || !SameCondition(crd, outcome.Established)
            || crd.Status?.StoredVersions?.Contains(storage) != true)
        {
            crd = (V1CustomResourceDefinition)await Crds.UpdateAsync(null, name, "status", UpdateKind.Status, dryRun: false, old =>
            {
                var next = (V1CustomResourceDefinition)ObjectCodec.Clone(Crds.Definition, old);
                next.Status ??= new V1CustomResourceDefinitionStatus();
                next.Status.AcceptedNames = outcome.AcceptedNames;
                CustomResourceDefinitionConditions.Set(next, outcome.NamesAccepted);
                CustomResourceDefinitionConditions.Set(next, outcome.Established);
                next.Status.StoredVersions ??= [];
                if (!next.Status.StoredVersions.Contains(storage))
                {
                    next.Status.StoredVersions.Add(storage);
                }

                return next;
            }, cancellationToken);
        }

        if (CustomResourceDefinitionConditions.IsTrue(crd, "Established"))
        {
            Serve(crd, terminating: false);
        }
        else
        {
            Unserve(name);
        }

        return false;
    }

    /// <summary>The cleanup finalizer's work: the CRD's objects deleted, then the finalizer removed.</summary>
    private async Task<bool> FinalizeAsync(V1CustomResourceDefinition crd, CancellationToken cancellationToken)
    {
        string name = crd.Metadata.Name;
        if (crd.Metadata.Finalizers?.Contains(CustomResourceDefinitions.CleanupFinalizer) != true)
        {
            return false;
        }

        if (!CustomResourceDefinitionConditions.IsTrue(crd, "Terminating") || crd.Status?.Conditions?.First(c => c.Type == "Terminating").Reason != "InstanceDeletionInProgress")
        {
            crd = await SetTerminatingAsync(name, "InstanceDeletionInProgress", "CustomResource deletion is in progress", cancellationToken);
        }

        if (CustomResourceDefinitionConditions.IsTrue(crd, "Established"))
        {
            // Still served while its objects go (their own finalizers may need their controllers), but no creates.
            Serve(crd, terminating: true);
        }

        GenericStore objects = stores.For(CustomResourceDefinitions.Storage(crd, conversions.For(crd)));
        await objects.DeleteCollectionAsync(null, LabelSelector.Everything, FieldSelector.Everything, new V1DeleteOptions(), dryRun: false, cancellationToken);
        int remaining = (await objects.ListAsync(null, new ListQuery(LabelSelector.Everything, FieldSelector.Everything), cancellationToken)).Items.Count;
        if (remaining > 0)
        {
            await SetTerminatingAsync(name, "InstanceDeletionCheck", $"could not confirm zero CustomResources remaining: {remaining} remaining", cancellationToken);
            return true;
        }

        await Crds.UpdateAsync(null, name, null, UpdateKind.Resource, dryRun: false, old =>
        {
            var next = (V1CustomResourceDefinition)ObjectCodec.Clone(Crds.Definition, old);
            next.Metadata.Finalizers?.Remove(CustomResourceDefinitions.CleanupFinalizer);
            return next;
        }, cancellationToken);
        Unserve(name);
        return false;
    }

    private async Task<V1CustomResourceDefinition> SetTerminatingAsync(string name, string reason, string message, CancellationToken cancellationToken) =>
        (V1CustomResourceDefinition)await Crds.UpdateAsync(null, name, "status", UpdateKind.Status, dryRun: false, old =>
        {
            var next = (V1CustomResourceDefinition)ObjectCodec.Clone(Crds.Definition, old);
            CustomResourceDefinitionConditions.Set(next, CustomResourceNaming.Condition("Terminating", "True", reason, message, next, time.GetUtcNow().UtcDateTime));
            return next;
        }, cancellationToken);

    /// <summary>Puts the CRD's served versions in the catalog (only when what they are made from changed).</summary>
    private void Serve(V1CustomResourceDefinition crd, bool terminating)
    {
        string fingerprint = JsonSerializer.Serialize(new object?[] { crd.Spec, crd.Status?.AcceptedNames, terminating }, KubernetesSerialization.Options);
        IReadOnlyList<ResourceDefinition> definitions;
        lock (_served)
        {
            if (_served.TryGetValue(crd.Metadata.Name, out var current) && current.Fingerprint == fingerprint)
            {
                return;
            }

            definitions = CustomResourceDefinitions.Served(crd, conversions.For(crd))
                .Select(d => terminating ? d with { Verbs = d.Verbs.Where(v => v != "create").ToList() } : d)
                .ToList();
            foreach (ResourceDefinition gone in current.Definitions ?? [])
            {
                if (!definitions.Any(d => d.Group == gone.Group && d.Version == gone.Version && d.Plural == gone.Plural))
                {
                    catalog.Remove(gone.Group, gone.Version, gone.Plural);
                }
            }

            _served[crd.Metadata.Name] = (fingerprint, definitions);
        }

        foreach (ResourceDefinition definition in definitions)
        {
            catalog.Add(definition);
        }

        LogServing(logger, crd.Metadata.Name, definitions.Count);
    }

    /// <summary>Stops serving the CRD's versions; false when none were served.</summary>
    private bool Unserve(string name)
    {
        IReadOnlyList<ResourceDefinition> definitions;
        lock (_served)
        {
            if (!_served.Remove(name, out var served))
            {
                return false;
            }

            definitions = served.Definitions;
        }

        foreach (ResourceDefinition d in definitions)
        {
            catalog.Remove(d.Group, d.Version, d.Plural);
        }

        return true;
    }

    private async Task<V1CustomResourceDefinition?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (V1CustomResourceDefinition)await Crds.GetAsync(null, name, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Code == 404)
        {
            return null;
        }
    }

    private async Task<List<V1CustomResourceDefinition>> ListAsync(CancellationToken cancellationToken) =>
        (await Crds.ListAsync(null, new ListQuery(LabelSelector.Everything, FieldSelector.Everything), cancellationToken)).Items.Cast<V1CustomResourceDefinition>().ToList();

    private static bool Same(V1CustomResourceDefinitionNames? a, V1CustomResourceDefinitionNames b) =>
        a is not null && KubernetesSerialization.JsonEquals(a, b);

    private static bool SameCondition(V1CustomResourceDefinition crd, V1CustomResourceDefinitionCondition want) =>
        crd.Status?.Conditions?.FirstOrDefault(c => c.Type == want.Type) is { } have
        && have.Status == want.Status && have.Reason == want.Reason && have.Message == want.Message;

    [LoggerMessage(Level = LogLevel.Information, Message = "serving custom resource definition {Name} ({Versions} versions)")]
    private static partial void LogServing(ILogger logger, string name, int versions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "custom resource definition {Name} could not be synced; retrying")]
    private static partial void LogSyncFailed(ILogger logger, string name, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "custom resource definition watch ended; relisting")]
    private static partial void LogWatchFailed(ILogger logger, Exception e);
}
