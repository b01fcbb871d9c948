using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers;

/// <summary>
/// The shape every controller here shares, client-go's: informer handlers only enqueue keys into one rate-limited,
/// de-duplicating <see cref="WorkQueue{T}"/>; <see cref="RunAsync"/> starts workers over <see cref="ControllerLoop"/>;
/// <see cref="SyncAsync"/> re-reads the key's object from the listers and converges it. A controller adds only what is
/// its own: its informers and handlers (in its constructor), its sync, and any start-up step (by overriding
/// <see cref="RunAsync"/>).
/// </summary>
public abstract class QueueController : IController
{
    /// <summary>Takes the client and the clock from <paramref name="context"/>, and creates the queue and the logger (named after the concrete controller).</summary>
    protected QueueController(string name, ControllerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Name = name;
        Client = context.Client;
        Time = context.Time;
        Queue = new WorkQueue<string>(Time, metrics: context.Metrics is { } metrics ? WorkQueueMetrics.For(metrics, name) : null);
        Logger = context.Loggers.CreateLogger(GetType());
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The client of the API server.</summary>
    protected IKubernetes Client { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The keys waiting to be synced.</summary>
    protected WorkQueue<string> Queue { get; }

    /// <summary>The controller's logger.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    public virtual Task RunAsync(int workers, CancellationToken cancellationToken) =>
        ControllerLoop.RunAsync(Name, Queue, workers, SyncAsync, Logger, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Converges the object <paramref name="key"/> names; a failure re-queues the key rate-limited.</summary>
    protected abstract Task SyncAsync(string key, CancellationToken cancellationToken);

    /// <summary>Queues <paramref name="obj"/>'s <c>namespace/name</c> (or <c>name</c>) key.</summary>
    protected void Enqueue(IKubernetesObject<V1ObjectMeta> obj) => Queue.Add(ObjectKeys.KeyOf(obj));

    /// <summary>Releases the queue.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Queue.Dispose();
        }
    }
}
