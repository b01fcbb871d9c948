using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Containerd;

/// <summary>
/// Runs containerd as a child process with a generated config, waits until its CRI answers, restarts it when it
/// dies (with back-off), and stops it with SIGTERM on shutdown. Containers keep running across a containerd restart
/// (their shims are separate processes), as on any Kubernetes node.
/// </summary>
public sealed partial class ContainerdSupervisor : IAsyncDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    private readonly ContainerdConfig _config;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _logLock = new();
    private volatile Process? _process;
    private long _startedAt;
    private StreamWriter? _log;
    private Task? _loop;

    /// <summary>Creates a supervisor for <paramref name="config"/>; nothing runs until <see cref="StartAsync"/>.</summary>
    public ContainerdSupervisor(ContainerdConfig config, ILogger logger, TimeProvider? time = null, string binary = "containerd")
    {
        _config = config;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        Binary = binary;
    }

    /// <summary>The containerd executable.</summary>
    public string Binary { get; }

    /// <summary>The CRI endpoint of the supervised containerd.</summary>
    public string Endpoint => _config.Socket;

    /// <summary>The process id of the running containerd, or 0.</summary>
    public int ProcessId
    {
        get
        {
            try
            {
                return _process is { HasExited: false } p ? p.Id : 0;
            }
            catch (InvalidOperationException)
            {
                // Disposed by the supervisor between the read and the call: exited.
                return 0;
            }
        }
    }

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

        _log = new StreamWriter(new FileStream(_config.LogFile, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite, UnixCreateMode = OwnerOnly })) { AutoFlush = true };
        StartProcess();
        await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => SuperviseAsync(_stop.Token), CancellationToken.None);
    }

    private void StartProcess()
    {
        // A socket left by a killed containerd would make the new one fail to listen.
        File.Delete(_config.Socket);
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(_config.ConfigFile);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => WriteLog(e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"cannot run {Binary} ({e.Message}): install containerd (scripts/lib/images.sh does) or pass --container-runtime-endpoint", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _startedAt = _time.GetTimestamp();
        _process = process;
        LogStarted(_logger, process.Id, _config.Socket);
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var cri = new CriConnection(_config.Socket);
        long deadline = _time.GetTimestamp() + _time.TimestampFrequency * 30;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is { HasExited: true } p)
            {
                throw new InvalidOperationException($"containerd exited with code {p.ExitCode} at start; see {_config.LogFile}");
            }

            if (File.Exists(_config.Socket))
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
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

            if (_time.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"containerd did not answer on {_config.Socket} within 30 s; see {_config.LogFile}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_process is { } process)
            {
                try
                {
                    await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                // Back off while it keeps dying; a containerd that ran a while starts over at 1 s.
                if (_time.GetElapsedTime(_startedAt) > TimeSpan.FromMinutes(1))
                {
                    backoff = TimeSpan.FromSeconds(1);
                }

                LogExited(_logger, process.ExitCode, backoff.TotalSeconds);
                _process = null;
                process.Dispose();
            }

            try
            {
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                StartProcess();
                await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                LogRestartFailed(_logger, e.Message);
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>Stops supervising and terminates containerd (SIGTERM, then SIGKILL after 10 s).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                _ = Signals.Kill(process.Id, Signals.SIGTERM);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            LogStopped(_logger, process.Id);
            process.Dispose();
        }

        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "containerd started (pid {Pid}) on {Socket}")]
    private static partial void LogStarted(ILogger logger, int pid, string socket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "containerd exited with code {Code}; restarting in {Seconds} s")]
    private static partial void LogExited(ILogger logger, int code, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "containerd restart failed: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "containerd (pid {Pid}) stopped")]
    private static partial void LogStopped(ILogger logger, int pid);
}
