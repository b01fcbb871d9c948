using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Navarch.Kubelet.Containerd;

/// <summary>
/// A daemon that Navarch runs as its own child process (containerd on a node, etcd on a server): started with its output
/// appended to a private log file, ready when the subclass's check answers, restarted with back-off when it dies (1 s,
/// doubling to 30 s while it keeps dying; 1 s again once it ran a minute), and stopped with SIGTERM, then SIGKILL after
/// 10 s, by PID. Subclasses give the command line, the readiness check and what an exit means.
/// </summary>
public abstract partial class ChildProcessSupervisor : IAsyncDisposable
{
    private readonly string _name;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _logLock = new();
    private volatile Process? _process;
    private long _startedAt;
    private StreamWriter? _log;
    private Task? _loop;

    /// <param name="name">The daemon's name in log lines.</param>
    /// <param name="binary">The executable.</param>
    /// <param name="logFile">Where its stdout and stderr are appended (created owner-only).</param>
    /// <param name="logger">The supervisor's own log.</param>
    /// <param name="time">The clock for back-off and readiness deadlines.</param>
    protected ChildProcessSupervisor(string name, string binary, string logFile, ILogger logger, TimeProvider time)
    {
        _name = name;
        Binary = binary;
        LogFile = logFile;
        Logger = logger;
        Time = time;
    }

    /// <summary>The executable.</summary>
    public string Binary { get; }

    /// <summary>Where the daemon's output goes.</summary>
    protected string LogFile { get; }

    /// <summary>The supervisor's log.</summary>
    protected ILogger Logger { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The daemon's process as last started (it may have exited), or null between a death and its restart.</summary>
    protected Process? Current => _process;

    /// <summary>The process id of the running daemon, or 0.</summary>
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

    /// <summary>Opens the log, starts the daemon, waits until it is ready, then keeps it running.</summary>
    protected async Task RunSupervisedAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _log = new StreamWriter(new FileStream(LogFile, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        { AutoFlush = true };
        StartProcess();
        await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => SuperviseAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>The command line of the next start (called before each start).</summary>
    protected abstract ProcessStartInfo CreateStartInfo();

    /// <summary>The error for an executable that cannot be run, saying how to install it.</summary>
    protected abstract Exception CannotRun(System.ComponentModel.Win32Exception error);

    /// <summary>Returns once the daemon just started answers; throws if it exited (<see cref="Current"/>) or took too long.</summary>
    protected abstract Task WaitReadyAsync(CancellationToken cancellationToken);

    /// <summary>Called with each line the daemon writes, before it goes to the log.</summary>
    protected virtual void OnOutputLine(string line)
    {
    }

    /// <summary>Called once a start succeeded, with the new process id.</summary>
    protected virtual void OnStarted(int processId)
    {
    }

    /// <summary>Whether the daemon's exit (all of its output read) means it must not be started again.</summary>
    protected virtual bool ExitedForGood(Process process) => false;

    /// <summary>Called once the daemon is stopped for good by <see cref="DisposeAsync"/>.</summary>
    protected virtual void OnStopped()
    {
    }

    private void StartProcess()
    {
        ProcessStartInfo info = CreateStartInfo();
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
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
            throw CannotRun(e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _startedAt = Time.GetTimestamp();
        _process = process;
        OnStarted(process.Id);
        LogStarted(Logger, _name, process.Id, LogFile);
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        OnOutputLine(line);
        lock (_logLock)
        {
            _log?.WriteLine(line);
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

                // The last lines reach the log (and OnOutputLine) before deciding what the exit means.
                process.WaitForExit();
                if (ExitedForGood(process))
                {
                    _process = null;
                    process.Dispose();
                    return;
                }

                if (Time.GetElapsedTime(_startedAt) > TimeSpan.FromMinutes(1))
                {
                    backoff = TimeSpan.FromSeconds(1);
                }

                LogExited(Logger, _name, process.ExitCode, backoff.TotalSeconds, LogFile);
                _process = null;
                process.Dispose();
            }

            try
            {
                await Task.Delay(backoff, Time, cancellationToken).ConfigureAwait(false);
                StartProcess();
                await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or InvalidDataException)
            {
                LogRestartFailed(Logger, _name, e.Message);
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>Stops supervising and terminates the daemon (SIGTERM, then SIGKILL after 10 s).</summary>
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

            LogStopped(Logger, _name, process.Id);
            process.Dispose();
            OnStopped();
        }

        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} started (pid {Pid}), logging to {LogFile}")]
    private static partial void LogStarted(ILogger logger, string name, int pid, string logFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name} exited with code {Code}; restarting in {Seconds} s (see {LogFile})")]
    private static partial void LogExited(ILogger logger, string name, int code, double seconds, string logFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name} restart failed: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} (pid {Pid}) stopped")]
    private static partial void LogStopped(ILogger logger, string name, int pid);
}
