using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Proxy.Host;

namespace Navarch.Proxy.Routes;

/// <summary>
/// The pod network across nodes, as flannel's host-gw backend: for every other Node with a spec.podCIDR and an
/// InternalIP, <c>ip route replace &lt;podCIDR&gt; via &lt;InternalIP&gt;</c>. The routes carry their own protocol number
/// (<see cref="RouteProtocol"/>), which is how the ones of nodes that went away are found and removed — also after a
/// restart. Needs the nodes on one L2 segment, as host-gw does.
/// </summary>
internal sealed partial class RouteController : IDisposable
{
    /// <summary>The <c>proto</c> of the routes this controller owns.</summary>
    public const string RouteProtocol = "201";

    private readonly Informer<V1Node> _nodes;
    private readonly CommandRunner _runner;
    private readonly string _nodeName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _dirty = new(0, 1);

    public RouteController(SharedInformerFactory informers, CommandRunner runner, string nodeName, TimeProvider time, ILogger logger)
    {
        _nodes = informers.Get<V1Node>();
        _runner = runner;
        _nodeName = nodeName;
        _time = time;
        _logger = logger;
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(_ => MarkDirty()));
    }

    /// <summary>The routes wanted now: pod CIDR → the node's InternalIP.</summary>
    public static SortedDictionary<string, string> Desired(IEnumerable<V1Node> nodes, string self)
    {
        var routes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (V1Node node in nodes)
        {
            string? ip = node.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address;
            if (node.Metadata.Name == self || string.IsNullOrEmpty(node.Spec?.PodCIDR) || string.IsNullOrEmpty(ip))
            {
                continue;
            }

            routes[node.Spec.PodCIDR] = ip;
        }

        return routes;
    }

    /// <summary>Syncs on node changes and every 30 s until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await _nodes.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(cancellationToken).ConfigureAwait(false);
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(_dirty.WaitAsync(wake.Token), Task.Delay(TimeSpan.FromSeconds(30), _time, wake.Token)).ConfigureAwait(false);
                await wake.CancelAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Never abandon the routes: log, wait a little, converge again.
                LogSyncFailed(_logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Converges the kernel's routes on the nodes in the cache.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        SortedDictionary<string, string> desired = Desired(_nodes.Store.List(), _nodeName);
        CommandResult show = await _runner.RunAsync("ip", ["-4", "route", "show", "proto", RouteProtocol], cancellationToken: cancellationToken).ConfigureAwait(false);
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in show.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int via = Array.IndexOf(words, "via");
            current[words[0]] = via > 0 && via + 1 < words.Length ? words[via + 1] : "";
        }

        foreach ((string cidr, string gateway) in desired)
        {
            if (current.GetValueOrDefault(cidr) == gateway)
            {
                continue;
            }

            CommandResult replace = await _runner.RunAsync("ip", ["route", "replace", cidr, "via", gateway, "proto", RouteProtocol], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (replace.Success)
            {
                LogRoute(_logger, cidr, gateway);
            }
            else
            {
                LogRouteFailed(_logger, cidr, gateway, replace.Stderr.Trim());
            }
        }

        foreach (string cidr in current.Keys.Where(c => !desired.ContainsKey(c)))
        {
            await _runner.RunAsync("ip", ["route", "del", cidr, "proto", RouteProtocol], cancellationToken: cancellationToken).ConfigureAwait(false);
            LogRouteRemoved(_logger, cidr);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _dirty.Dispose();

    private void MarkDirty()
    {
        try
        {
            _dirty.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Syncing pod CIDR routes failed; retrying")]
    private static partial void LogSyncFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Route to pod CIDR {Cidr} via {Gateway}")]
    private static partial void LogRoute(ILogger logger, string cidr, string gateway);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Route to pod CIDR {Cidr} via {Gateway} failed: {Reason}")]
    private static partial void LogRouteFailed(ILogger logger, string cidr, string gateway, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Route to pod CIDR {Cidr} removed (its node is gone)")]
    private static partial void LogRouteRemoved(ILogger logger, string cidr);
}
