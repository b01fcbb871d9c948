using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The kubelet's CSI plugin registration (csi_plugin.go's RegistrationHandler): a driver offering a CSI 1.x version is
/// added to <see cref="CsiDrivers"/>, asked NodeGetInfo, and recorded in the API by <see cref="CsiNodeInfo"/>; when
/// that fails it is taken out again and the error goes back to its registrar.
/// </summary>
internal sealed partial class CsiPluginHandler(CsiDrivers drivers, CsiNodeInfo nodeInfo, ILogger logger) : IPluginHandler
{
    /// <summary>The plugin type CSI drivers register with.</summary>
    public const string PluginType = "CSIPlugin";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public string? Validate(string name, string endpoint, IReadOnlyList<string> versions)
    {
        if (versions.Count == 0)
        {
            return $"validation failed for CSI Driver {name} at endpoint {endpoint}: plugin returned an empty list for supported versions";
        }

        return HighestSupportedVersion(versions) is null
            ? $"validation failed for CSI Driver {name} at endpoint {endpoint}: none of the CSI versions reported by this driver are supported ({string.Join(", ", versions)})"
            : null;
    }

    public async Task RegisterAsync(string name, string endpoint, IReadOnlyList<string> versions, CancellationToken cancellationToken)
    {
        CsiDriverClient driver = drivers.Add(name, endpoint);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            NodeGetInfoResponse info = await driver.Node.NodeGetInfoAsync(new NodeGetInfoRequest(), cancellationToken: timeout.Token).ConfigureAwait(false);
            IReadOnlyDictionary<string, string> topology = info.AccessibleTopology?.Segments ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>();
            await nodeInfo.InstallDriverAsync(name, info.NodeId, info.MaxVolumesPerNode, topology, cancellationToken).ConfigureAwait(false);
            LogRegistered(logger, name, endpoint, info.NodeId);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            drivers.Remove(name, endpoint);
            throw new InvalidOperationException($"RegisterPlugin error -- plugin registration failed with err: {e.Message}", e);
        }
    }

    public async Task DeregisterAsync(string name, string endpoint, CancellationToken cancellationToken)
    {
        if (drivers.Remove(name, endpoint))
        {
            await nodeInfo.UninstallDriverAsync(name, cancellationToken).ConfigureAwait(false);
            LogDeregistered(logger, name);
        }
    }

    /// <summary>The highest version with major 1 (the only CSI major the kubelet speaks), or null.</summary>
    private static Version? HighestSupportedVersion(IReadOnlyList<string> versions) =>
        versions
            .Select(v => Version.TryParse(v.TrimStart('v'), out Version? parsed) ? parsed : null)
            .Where(v => v is { Major: 1 })
            .Max();

    [LoggerMessage(Level = LogLevel.Information, Message = "CSI driver {Driver} registered at {Endpoint} (node ID {NodeId})")]
    private static partial void LogRegistered(ILogger logger, string driver, string endpoint, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "CSI driver {Driver} deregistered")]
    private static partial void LogDeregistered(ILogger logger, string driver);
}
