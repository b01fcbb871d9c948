using k8s;
using Microsoft.Extensions.Logging;
using Navarch.Client;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers;

/// <summary>
/// kube-controller-manager's ControllerContext: what every controller is built from — the shared informers, the
/// client, the clock, logging, event recorders and the manager's options — so a controller's constructor takes only
/// this and whatever is truly its own.
/// </summary>
public sealed class ControllerContext : IAsyncDisposable
{
    private readonly List<EventRecorder> _recorders = [];

    /// <summary>Creates a context over one shared informer factory.</summary>
    public ControllerContext(Kubernetes client, SharedInformerFactory informers, TimeProvider time, ILoggerFactory loggers, ControllerManagerOptions options)
    {
        Client = client;
        Api = new RawApi(client);
        Informers = informers;
        Time = time;
        Loggers = loggers;
        Options = options;
    }

    /// <summary>The client of the API server.</summary>
    public IKubernetes Client { get; }

    /// <summary>Raw requests for what the typed client cannot say (discovery, any resource by path).</summary>
    public RawApi Api { get; }

    /// <summary>The informers the controllers share (one list + watch per resource).</summary>
    public SharedInformerFactory Informers { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Logging.</summary>
    public ILoggerFactory Loggers { get; }

    /// <summary>The manager's tunables (kube-controller-manager's component configuration).</summary>
    public ControllerManagerOptions Options { get; }

    /// <summary>Where the controllers' work queues record their metrics; none when null.</summary>
    public Prometheus.IMetricFactory? Metrics { get; init; }

    /// <summary>An event recorder reporting as <paramref name="component"/>, flushed when the context is disposed.</summary>
    public EventRecorder Recorder(string component)
    {
        var recorder = new EventRecorder(Client, component, time: Time, logger: Loggers.CreateLogger<EventRecorder>());
        _recorders.Add(recorder);
        return recorder;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (EventRecorder recorder in _recorders)
        {
            await recorder.DisposeAsync().ConfigureAwait(false);
        }

        _recorders.Clear();
    }
}
