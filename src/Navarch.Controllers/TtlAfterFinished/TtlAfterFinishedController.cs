using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Controllers.Job;

namespace Navarch.Controllers.TtlAfterFinished;

/// <summary>
/// kube-controller-manager's ttl-after-finished controller: deletes a finished Job (propagationPolicy Background)
/// once <c>ttlSecondsAfterFinished</c> has passed since it finished, checking a fresh copy of the Job first so a
/// changed TTL is honoured; until then the key waits in the queue for exactly the time left.
/// </summary>
public sealed class TtlAfterFinishedController : QueueController
{
    private readonly Informer<V1Job> _jobs;

    /// <summary>Creates the controller over the shared Job informer.</summary>
    public TtlAfterFinishedController(ControllerContext context)
        : base("ttl-after-finished", context)
    {
        _jobs = context.Informers.Get<V1Job>();
        _jobs.AddHandler(new ResourceEventHandler<V1Job>(Changed, (_, _) => { }));
    }

    private void Changed(V1Job job)
    {
        if (job.Metadata.DeletionTimestamp is null && job.Spec?.TtlSecondsAfterFinished is not null && JobConditions.Finished(job) is not null)
        {
            Enqueue(job);
        }
    }

    /// <summary>The time left before <paramref name="job"/> expires; null when it never does (no TTL, not finished).</summary>
    private TimeSpan? Remaining(V1Job job) =>
        job.Metadata.DeletionTimestamp is null && job.Spec?.TtlSecondsAfterFinished is { } ttl && JobConditions.FinishTime(job) is { } finished
            ? finished + TimeSpan.FromSeconds(ttl) - Time.GetUtcNow()
            : null;

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Job? cached = _jobs.Store.Get(key);
        if (cached is null || Remaining(cached) is not { } left)
        {
            return;
        }

        if (left > TimeSpan.Zero)
        {
            Queue.AddAfter(key, left);
            return;
        }

        // The cache may be stale: the TTL may have been raised meanwhile. Decide on the live object.
        V1Job fresh;
        try
        {
            fresh = await Client.BatchV1.ReadNamespacedJobAsync(cached.Metadata.Name, cached.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        if (Remaining(fresh) is not { } freshLeft)
        {
            return;
        }

        if (freshLeft > TimeSpan.Zero)
        {
            Queue.AddAfter(key, freshLeft);
            return;
        }

        try
        {
            await Client.BatchV1.DeleteNamespacedJobAsync(
                fresh.Metadata.Name,
                fresh.Metadata.NamespaceProperty,
                new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = fresh.Metadata.Uid, ResourceVersion = fresh.Metadata.ResourceVersion } },
                cancellationToken: cancellationToken);
            Log.Expired(Logger, key);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound)
        {
        }
    }
}
