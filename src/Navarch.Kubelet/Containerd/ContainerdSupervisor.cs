using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Containerd;

/// <summary>
/// Runs containerd as a child process with a generated config (<see cref="ChildProcessSupervisor"/>), ready when its CRI
/// answers. Containers keep running across a containerd restart (their shims are separate processes), as on any
/// Kubernetes node.
/// </summary>
public sealed class ContainerdSupervisor : ChildProcessSupervisor
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    private readonly ContainerdConfig _config;

    /// <summary>Creates a supervisor for <paramref name="config"/>; nothing runs until <see cref="StartAsync"/>.</summary>
    public ContainerdSupervisor(ContainerdConfig config, ILogger logger, TimeProvider? time = null, string binary = "containerd")
        : base("containerd", binary, config.LogFile, logger, time ?? TimeProvider.System)
    {
        _config = config;
    }

    /// <summary>The CRI endpoint of the supervised containerd.</summary>
    public string Endpoint => _config.Socket;

    /// <summary>Writes the config, starts containerd, and waits until its CRI plugin answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Private to the agent's user, as the rest of the data dir: 0700 folders, 0600 files from their creation.
        Directory.CreateDirectory(_config.Home, OwnerOnlyDirectory);
        Directory.CreateDirectory(_config.CniConfDir, OwnerOnlyDirectory);
        await using (var config = new FileStream(_config.ConfigFile, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        {
            await config.WriteAsync(System.Text.Encoding.UTF8.GetBytes(_config.Render()), cancellationToken).ConfigureAwait(false);
        }

        await Registries.RegistryHostsFile.WriteAsync(_config.CertsDir, _config.Registries, cancellationToken).ConfigureAwait(false);
        await RunSupervisedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override ProcessStartInfo CreateStartInfo()
    {
        // A socket left by a killed containerd would make the new one fail to listen.
        File.Delete(_config.Socket);
        var info = new ProcessStartInfo(Binary);
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(_config.ConfigFile);
        return info;
    }

    /// <inheritdoc/>
    protected override Exception CannotRun(System.ComponentModel.Win32Exception error) =>
        new InvalidOperationException($"cannot run {Binary} ({error.Message}): install containerd (scripts/lib/images.sh does) or pass --container-runtime-endpoint", error);

    /// <inheritdoc/>
    protected override async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var cri = new CriConnection(_config.Socket);
        long deadline = Time.GetTimestamp() + Time.TimestampFrequency * 30;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Current is { HasExited: true } p)
            {
                throw new InvalidOperationException($"containerd exited with code {p.ExitCode} at start; see {_config.LogFile}");
            }

            if (File.Exists(_config.Socket))
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2), Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
                try
                {
                    await cri.Runtime.VersionAsync("v1", linked.Token).ConfigureAwait(false);
                    return;
                }
                catch (RpcException)
                {
                }
            }

            if (Time.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"containerd did not answer on {_config.Socket} within 30 s; see {_config.LogFile}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), Time, cancellationToken).ConfigureAwait(false);
        }
    }
}
