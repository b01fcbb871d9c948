namespace Navarch.Kubelet.Csi;

/// <summary>
/// A kind of plugin the kubelet's plugin watcher registers (Kubernetes' cache.PluginHandler), chosen by the
/// <c>type</c> a plugin's GetInfo answers (<c>CSIPlugin</c>, <c>DevicePlugin</c>).
/// </summary>
internal interface IPluginHandler
{
    /// <summary>Checks that the plugin can be registered; the returned text (null when fine) is told to the plugin.</summary>
    string? Validate(string name, string endpoint, IReadOnlyList<string> versions);

    /// <summary>Registers the plugin; an exception's message is told to the plugin, which then is not registered.</summary>
    Task RegisterAsync(string name, string endpoint, IReadOnlyList<string> versions, CancellationToken cancellationToken);

    /// <summary>Forgets the plugin registered at <paramref name="endpoint"/> (its socket went away).</summary>
    Task DeregisterAsync(string name, string endpoint, CancellationToken cancellationToken);
}
