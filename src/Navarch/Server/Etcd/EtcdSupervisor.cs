using System.Diagnostics;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer;
using Navarch.Kubelet.Containerd;

namespace Navarch.Server.Etcd;

/// <summary>
/// Runs Debian's etcd as a child process (<see cref="ChildProcessSupervisor"/>, as containerd is run): started with the
/// member's flags, ready when its Maintenance API answers over TLS. Its output goes to
/// <c>&lt;data-dir&gt;/server/logs/etcd.log</c>. Its PID is kept in <c>&lt;data-dir&gt;/server/db/etcd.pid</c> so that an etcd
/// orphaned by a killed server is stopped before a new one starts. An etcd that exits because its member was removed
/// from the cluster is not restarted: as k3s's executor, a <c>tombstone</c> file is left in its data dir, and the next
/// server start moves that data aside and joins afresh (<see cref="EmbeddedEtcd"/>) instead of running a removed member
/// on stale data.
/// </summary>
internal sealed partial class EtcdSupervisor : ChildProcessSupervisor
{
    /// <summary>Debian's etcd-server package.</summary>
    public const string DefaultBinary = "/usr/bin/etcd";

    private readonly IReadOnlyList<string> _arguments;
    private IReadOnlyList<string> _firstStartOnly;
    private readonly string _pidFile;
    private readonly string _tombstone;
    private readonly GrpcChannel _channel;
    private volatile bool _removed;

    /// <param name="firstStartOnly">Flags for the first start alone (<c>--force-new-cluster</c>): a restart after etcd died must not repeat them.</param>
    public EtcdSupervisor(IReadOnlyList<string> arguments, string serverDir, GrpcChannel channel, ILogger logger, TimeProvider time, string binary = DefaultBinary, IReadOnlyList<string>? firstStartOnly = null)
        : base("etcd", binary, Path.Combine(serverDir, "logs", "etcd.log"), logger, time)
    {
        _arguments = arguments;
        _firstStartOnly = firstStartOnly ?? [];
        _pidFile = Path.Combine(serverDir, "db", "etcd.pid");
        _tombstone = TombstoneIn(Path.Combine(serverDir, "db", "etcd"));
        _channel = channel;
    }

    /// <summary>The file that marks the etcd data dir <paramref name="etcdDataDir"/> as a removed member's (k3s's name).</summary>
    public static string TombstoneIn(string etcdDataDir) => Path.Combine(etcdDataDir, "tombstone");

    /// <summary>Starts etcd and waits until it answers (a member of a cluster without quorum answers too).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(LogFile)!);
        await StopOrphanAsync();
        await RunSupervisedAsync(cancellationToken);
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

        LogOrphan(Logger, pid);
        _ = Signals.Kill(pid, Signals.SIGTERM);
        for (int i = 0; i < 100 && File.Exists(comm); i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), Time);
        }

        if (File.Exists(comm))
        {
            _ = Signals.Kill(pid, 9);
        }
    }

    /// <inheritdoc/>
    protected override ProcessStartInfo CreateStartInfo()
    {
        var info = new ProcessStartInfo(Binary);
        foreach (string argument in _arguments.Concat(_firstStartOnly))
        {
            info.ArgumentList.Add(argument);
        }

        _firstStartOnly = [];
        return info;
    }

    /// <inheritdoc/>
    protected override Exception CannotRun(System.ComponentModel.Win32Exception error) =>
        new InvalidDataException($"cannot run {Binary} ({error.Message}): install Debian's etcd-server package (apt-get install etcd-server)", error);

    /// <inheritdoc/>
    protected override void OnStarted(int processId) =>
        PrivateFiles.Write(_pidFile, processId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");

    /// <inheritdoc/>
    protected override void OnOutputLine(string line)
    {
        // etcd's ErrMemberRemoved, logged as it stops (and again by a removed member started on its old data).
        if (line.Contains("permanently removed from the cluster", StringComparison.Ordinal))
        {
            _removed = true;
        }
    }

    /// <inheritdoc/>
    protected override bool ExitedForGood(Process process)
    {
        if (!Tombstoned())
        {
            return false;
        }

        File.Delete(_pidFile);
        return true;
    }

    /// <inheritdoc/>
    protected override void OnStopped() => File.Delete(_pidFile);

    /// <summary>When etcd stopped because its member was removed: leaves the tombstone and says so; true then.</summary>
    private bool Tombstoned()
    {
        if (!_removed)
        {
            return false;
        }

        PrivateFiles.Write(_tombstone, "");
        LogRemoved(Logger, _tombstone);
        return true;
    }

    /// <inheritdoc/>
    protected override async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var maintenance = new Maintenance.MaintenanceClient(_channel);
        long deadline = Time.GetTimestamp() + Time.TimestampFrequency * 60;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Current is { HasExited: true } p)
            {
                // Let the last lines reach the log (and _removed) before deciding why it exited.
                p.WaitForExit();
                if (Tombstoned())
                {
                    throw new InvalidDataException("this server's etcd member was removed from the cluster; start the server again (with --server) to rejoin with a fresh datastore");
                }

                throw new InvalidOperationException($"etcd exited with code {p.ExitCode} at start; see {LogFile}");
            }

            try
            {
                await maintenance.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                return;
            }
            catch (RpcException)
            {
            }

            if (Time.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"etcd did not answer within 60 s; see {LogFile}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "This server's etcd member has been removed from the cluster: etcd is not restarted, and {Tombstone} is left so that the next start of the server moves its datastore aside and joins the cluster afresh. Restart the server to rejoin")]
    private static partial void LogRemoved(ILogger logger, string tombstone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping etcd (pid {Pid}) left running by an earlier server process")]
    private static partial void LogOrphan(ILogger logger, int pid);
}
