using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.PluginRegistration.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The kubelet's plugin manager (pluginwatcher and its reconciler): every <see cref="Interval"/> it lists
/// <c>&lt;kubelet root&gt;/plugins_registry/</c>; a new socket (or one made again since) is asked GetInfo, handed to
/// the handler of its type, validated and registered, and told the outcome with NotifyRegistrationStatus; a socket
/// that failed is tried again at the next listing; a socket that is gone deregisters its plugin.
/// </summary>
internal sealed partial class PluginWatcher(string directory, IReadOnlyDictionary<string, IPluginHandler> handlers, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, Registered> _registered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastFailure = new(StringComparer.Ordinal);

    /// <summary>How often the folder is listed.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The folder plugins put their registration sockets in.</summary>
    public string Directory { get; } = directory;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Private as the rest of the agent's data dir: only root's registrars put sockets here.
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(Interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass: registers new sockets, deregisters gone ones.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var present = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory))
        {
            // Hidden files are not plugins (as the watcher's filter), and only sockets are dialled.
            if (!Path.GetFileName(path).StartsWith('.') && (File.GetAttributes(path) & FileAttributes.Directory) == 0 && IsSocket(path))
            {
                present[path] = File.GetLastWriteTimeUtc(path);
            }
        }

        foreach ((string path, Registered plugin) in _registered.ToList())
        {
            if (!present.TryGetValue(path, out DateTime written) || written != plugin.Written)
            {
                _registered.Remove(path);
                await DeregisterAsync(plugin, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach ((string path, DateTime written) in present)
        {
            if (!_registered.ContainsKey(path))
            {
                await RegisterAsync(path, written, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RegisterAsync(string socket, DateTime written, CancellationToken cancellationToken)
    {
        using GrpcChannel channel = UnixSocketChannel.Create(socket);
        var registration = new Registration.RegistrationClient(channel);
        PluginInfo info;
        try
        {
            info = await registration.GetInfoAsync(new InfoRequest(), deadline: time.GetUtcNow().UtcDateTime + CallTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            Failed(socket, $"failed to get plugin info using RPC GetInfo at socket {socket}, err: {e.Status.Detail}");
            return;
        }

        string endpoint = string.IsNullOrEmpty(info.Endpoint) ? socket : info.Endpoint;
        string? error = handlers.TryGetValue(info.Type, out IPluginHandler? handler)
            ? handler.Validate(info.Name, endpoint, info.SupportedVersions)
            : $"no handler registered for plugin type: {info.Type} at socket {socket}";
        if (error is null)
        {
            try
            {
                await handler!.RegisterAsync(info.Name, endpoint, info.SupportedVersions, cancellationToken).ConfigureAwait(false);
                _registered[socket] = new Registered(info.Name, endpoint, written, handler);
                _lastFailure.Remove(socket);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                error = e.Message;
            }
        }

        try
        {
            await registration.NotifyRegistrationStatusAsync(new RegistrationStatus { PluginRegistered = error is null, Error = error ?? "" }, deadline: time.GetUtcNow().UtcDateTime + CallTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            LogNotifyFailed(logger, socket, e.Status.Detail);
        }

        if (error is not null)
        {
            Failed(socket, error);
        }
    }

    private async Task DeregisterAsync(Registered plugin, CancellationToken cancellationToken)
    {
        try
        {
            await plugin.Handler.DeregisterAsync(plugin.Name, plugin.Endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDeregisterFailed(logger, plugin.Name, e.Message);
        }
    }

    /// <summary>Logs a failure once until it changes; the socket is tried again at the next listing.</summary>
    private void Failed(string socket, string error)
    {
        if (!_lastFailure.TryGetValue(socket, out string? last) || last != error)
        {
            _lastFailure[socket] = error;
            LogRegisterFailed(logger, socket, error);
        }
    }

    private static bool IsSocket(string path) => (Volumes.PosixFiles.StatMode(path) & 0xF000) == 0xC000;

    private sealed record Registered(string Name, string Endpoint, DateTime Written, IPluginHandler Handler);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin registration at {Socket} failed: {Error}")]
    private static partial void LogRegisterFailed(ILogger logger, string socket, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling the plugin at {Socket} its registration status failed: {Error}")]
    private static partial void LogNotifyFailed(ILogger logger, string socket, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deregistering plugin {Plugin} failed: {Error}")]
    private static partial void LogDeregisterFailed(ILogger logger, string plugin, string error);
}
