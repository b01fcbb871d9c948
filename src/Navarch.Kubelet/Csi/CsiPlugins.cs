using k8s;
using Microsoft.Extensions.Logging;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The kubelet's CSI side, composed: the registered <see cref="Drivers"/>, the <see cref="PluginWatcher"/> over
/// <c>&lt;kubelet root&gt;/plugins_registry</c> with the CSI handler, and the node's CSINode (created at start, as
/// the kubelet's CSI plugin does, retried until the API answers).
/// </summary>
internal sealed partial class CsiPlugins : IDisposable
{
    private readonly CsiNodeInfo _nodeInfo;
    private readonly PluginWatcher _watcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CsiPlugins(IKubernetes client, string nodeName, string kubeletRoot, TimeProvider time, ILoggerFactory loggers)
    {
        _time = time;
        _logger = loggers.CreateLogger<CsiPlugins>();
        KubeletRoot = kubeletRoot;
        _nodeInfo = new CsiNodeInfo(client, nodeName);
        var handler = new CsiPluginHandler(Drivers, _nodeInfo, loggers.CreateLogger<CsiPluginHandler>());
        _watcher = new PluginWatcher(Path.Combine(kubeletRoot, "plugins_registry"), new Dictionary<string, IPluginHandler> { [CsiPluginHandler.PluginType] = handler }, time, loggers.CreateLogger<PluginWatcher>());
    }

    /// <summary>The kubelet's root folder (<c>plugins_registry</c>, <c>plugins</c> and <c>pods</c> are below it).</summary>
    public string KubeletRoot { get; }

    /// <summary>The CSI drivers registered on this node.</summary>
    public CsiDrivers Drivers { get; } = new();

    /// <summary>Creates the CSINode, then watches for plugins until <paramref name="cancellationToken"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        for (TimeSpan delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
        {
            try
            {
                await _nodeInfo.InitializeAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogInitializeFailed(_logger, e.Message);
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await _watcher.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => Drivers.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating this node's CSINode failed (retrying): {Error}")]
    private static partial void LogInitializeFailed(ILogger logger, string error);
}
