using System.Collections.Concurrent;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The CSI drivers registered on this node (the kubelet's csiDrivers store): the plugin watcher adds and removes them,
/// the volume manager and the built-in control-plane sidecars look their sockets up by driver name.
/// </summary>
internal sealed class CsiDrivers : IDisposable
{
    private readonly ConcurrentDictionary<string, CsiDriverClient> _drivers = new(StringComparer.Ordinal);

    /// <summary>The driver named <paramref name="name"/>, or null when it is not registered here.</summary>
    public CsiDriverClient? Get(string name) => _drivers.TryGetValue(name, out CsiDriverClient? driver) ? driver : null;

    /// <summary>The names of the registered drivers.</summary>
    public IReadOnlyList<string> Names => [.. _drivers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Registers (or re-registers at a new endpoint) <paramref name="name"/>.</summary>
    public CsiDriverClient Add(string name, string endpoint)
    {
        var added = new CsiDriverClient(name, endpoint);
        CsiDriverClient? replaced = null;
        _drivers.AddOrUpdate(name, added, (_, old) =>
        {
            replaced = old;
            return added;
        });
        replaced?.Dispose();
        return added;
    }

    /// <summary>Forgets <paramref name="name"/> if it is registered at <paramref name="endpoint"/>.</summary>
    public bool Remove(string name, string endpoint)
    {
        if (_drivers.TryGetValue(name, out CsiDriverClient? driver) && driver.Endpoint == endpoint && _drivers.TryRemove(new KeyValuePair<string, CsiDriverClient>(name, driver)))
        {
            driver.Dispose();
            return true;
        }

        return false;
    }

    public void Dispose()
    {
        foreach (CsiDriverClient driver in _drivers.Values)
        {
            driver.Dispose();
        }

        _drivers.Clear();
    }
}
