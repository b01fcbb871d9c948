using System.Diagnostics;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer;
using Navarch.Kubelet.Containerd;

namespace Navarch.Server.Etcd;

/// <summary>
/// Runs Debian's etcd as a child process, as <see cref="ContainerdSupervisor"/> runs containerd: started with the
/// member's flags, ready when its Maintenance API answers over TLS, restarted with back-off when it dies, stopped with
/// SIGTERM (SIGKILL after 10 s) by PID. Its output goes to <c>&lt;data-dir&gt;/server/logs/etcd.log</c>. Its PID is kept in
/// <c>&lt;data-dir&gt;/server/db/etcd.pid</c> so that an etcd orphaned by a killed server is stopped before a new one starts.
/// An etcd that exits because its member was removed from the cluster is not restarted: as k3s's executor, a
/// <c>tombstone</c> file is left in its data dir, and the next server start moves that data aside and joins afresh
/// (<see cref="EmbeddedEtcd"/>) instead of running a removed member on stale data.
/// </summary>
internal sealed partial class EtcdSupervisor : IAsyncDisposable
{
    /// <summary>Debian's etcd-server package.</summary>
    public const string DefaultBinary = "/usr/bin/etcd";

    private readonly IReadOnlyList<string> _arguments;
    private IReadOnlyList<string> _firstStartOnly;
    private readonly string _logFile;
    private readonly string _pidFile;
    private readonly string _tombstone;
    private readonly GrpcChannel _channel;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _logLock = new();
    private volatile Process? _process;
    private long _startedAt;
    private volatile bool _removed;
    private StreamWriter? _log;
    private Task? _loop;

    /// <param name="firstStartOnly">Flags for the first start alone (<c>--force-new-cluster</c>): a restart after etcd died must not repeat them.</param>
    public EtcdSupervisor(IReadOnlyList<string> arguments, string serverDir, GrpcChannel channel, ILogger logger, TimeProvider time, string binary = DefaultBinary, IReadOnlyList<string>? firstStartOnly = null)
    {
        _arguments = arguments;
        _firstStartOnly = firstStartOnly ?? [];
        _logFile = Path.Combine(serverDir, "logs", "etcd.log");
        _pidFile = Path.Combine(serverDir, "db", "etcd.pid");
        _tombstone = TombstoneIn(Path.Combine(serverDir, "db", "etcd"));
        _channel = channel;
        _logger = logger;
        _time = time;
        Binary = binary;
    }

    /// <summary>The file that marks the etcd data dir <paramref name="etcdDataDir"/> as a removed member's (k3s's name).</summary>
    public static string TombstoneIn(string etcdDataDir) => Path.Combine(etcdDataDir, "tombstone");

    /// <summary>The etcd executable.</summary>
    public string Binary { get; }

    /// <summary>The process id of the running etcd, or 0.</summary>
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
                return 0;
            }
        }
    }

    /// <summary>Starts etcd and waits until it answers (a member of a cluster without quorum answers too).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(_logFile)!);
        await StopOrphanAsync();
        _log = new StreamWriter(new FileStream(_logFile, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite, UnixCreateMode = PrivateFiles.OwnerOnly })) { AutoFlush = true };
        StartProcess();
        await WaitReadyAsync(cancellationToken);
        _loop = Task.Run(() => SuperviseAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>An etcd left running by a server that was killed holds the ports and the data dir's lock: it goes first.</summary>
    private async Task StopOrphanAsync()
    {
        if (!File.Exists(_pidFile) || !int.TryParse(File.ReadAllText(_pidFile).Trim(), out int pid))
        {
            return;
        }

        string comm = Path.Combine("/proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "comm");
        if (!File.Exists(comm) || File.ReadAllText(comm).Trim() != Path.GetFileName(Binary))
        {
            return;
        }

        LogOrphan(_logger, pid);
        _ = Signals.Kill(pid, Signals.SIGTERM);
        for (int i = 0; i < 100 && File.Exists(comm); i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), _time);
        }

        if (File.Exists(comm))
        {
            _ = Signals.Kill(pid, 9);
        }
    }

    private void StartProcess()
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in _arguments.Concat(_firstStartOnly))
        {
            info.ArgumentList.Add(argument);
        }

        _firstStartOnly = [];

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
            throw new InvalidDataException($"cannot run {Binary} ({e.Message}): install Debian's etcd-server package (apt-get install etcd-server)", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _startedAt = _time.GetTimestamp();
        _process = process;
        PrivateFiles.Write(_pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        LogStarted(_logger, process.Id, _logFile);
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        // etcd's ErrMemberRemoved, logged as it stops (and again by a removed member started on its old data).
        if (line.Contains("permanently removed from the cluster", StringComparison.Ordinal))
        {
            _removed = true;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }

    /// <summary>When etcd stopped because its member was removed: leaves the tombstone and says so; true then.</summary>
    private bool Tombstoned()
    {
        if (!_removed)
        {
            return false;
        }

        PrivateFiles.Write(_tombstone, "");
        LogRemoved(_logger, _tombstone);
        return true;
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var maintenance = new Maintenance.MaintenanceClient(_channel);
        long deadline = _time.GetTimestamp() + _time.TimestampFrequency * 60;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is { HasExited: true } p)
            {
                // Let the last lines reach the log (and _removed) before deciding why it exited.
                p.WaitForExit();
                if (Tombstoned())
                {
                    throw new InvalidDataException("this server's etcd member was removed from the cluster; start the server again (with --server) to rejoin with a fresh datastore");
                }

                throw new InvalidOperationException($"etcd exited with code {p.ExitCode} at start; see {_logFile}");
            }

            try
            {
                await maintenance.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                return;
            }
            catch (RpcException)
            {
            }

            if (_time.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"etcd did not answer within 60 s; see {_logFile}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
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
                    await process.WaitForExitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                process.WaitForExit();
                if (Tombstoned())
                {
                    _process = null;
                    process.Dispose();
                    File.Delete(_pidFile);
                    return;
                }

                if (_time.GetElapsedTime(_startedAt) > TimeSpan.FromMinutes(1))
                {
                    backoff = TimeSpan.FromSeconds(1);
                }

                LogExited(_logger, process.ExitCode, backoff.TotalSeconds, _logFile);
                _process = null;
                process.Dispose();
            }

            try
            {
                await Task.Delay(backoff, _time, cancellationToken);
                StartProcess();
                await WaitReadyAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or InvalidDataException)
            {
                LogRestartFailed(_logger, e.Message);
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>Stops supervising and terminates etcd (SIGTERM, then SIGKILL after 10 s).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                _ = Signals.Kill(process.Id, Signals.SIGTERM);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }

            LogStopped(_logger, process.Id);
            process.Dispose();
            File.Delete(_pidFile);
        }

        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "etcd started (pid {Pid}), logging to {LogFile}")]
    private static partial void LogStarted(ILogger logger, int pid, string logFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "etcd exited with code {Code}; restarting in {Seconds} s (see {LogFile})")]
    private static partial void LogExited(ILogger logger, int code, double seconds, string logFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "etcd restart failed: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "This server's etcd member has been removed from the cluster: etcd is not restarted, and {Tombstone} is left so that the next start of the server moves its datastore aside and joins the cluster afresh. Restart the server to rejoin")]
    private static partial void LogRemoved(ILogger logger, string tombstone);

    [LoggerMessage(Level = LogLevel.Information, Message = "etcd (pid {Pid}) stopped")]
    private static partial void LogStopped(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping etcd (pid {Pid}) left running by an earlier server process")]
    private static partial void LogOrphan(ILogger logger, int pid);
}
