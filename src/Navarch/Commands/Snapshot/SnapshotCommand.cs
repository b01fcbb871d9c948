using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using Navarch.Snapshots;

namespace Navarch.Commands.Snapshot;

/// <summary>
/// <c>navarch snapshot save|ls|delete|prune</c>, k3s's <c>k3s etcd-snapshot</c> for both datastores: snapshots are
/// files <c>&lt;name&gt;-&lt;node&gt;-&lt;unix time&gt;</c> under <c>&lt;data-dir&gt;/server/db/snapshots</c> (or
/// <c>--dir</c>). <c>save</c> works while the server runs. Errors are one line on standard error, exit code 1.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("snapshot", "Save, list, delete and prune snapshots of the datastore (SQLite or etcd); restore one with 'navarch server --cluster-reset --cluster-reset-restore-path'.");
        // k3s's name for the same verbs.
        command.Aliases.Add("etcd-snapshot");
        command.Subcommands.Add(Save(output, error));
        command.Subcommands.Add(List(output, error));
        command.Subcommands.Add(Delete(output, error));
        command.Subcommands.Add(Prune(output, error));
        return command;
    }

    private static Command Save(TextWriter output, TextWriter error)
    {
        var flags = new Flags();
        var name = NameOption();
        var etcdEndpoint = new Option<string?>("--etcd-endpoint") { Description = "The etcd client URL to snapshot (http, or https with the client certificate in <data-dir>/server/tls/etcd); default: the data dir's embedded etcd, or its SQLite file" };
        var command = new Command("save", "Take a snapshot of the datastore now (online: the server keeps serving and writing).") { name, etcdEndpoint };
        flags.AddTo(command, withNode: true);
        command.SetAction((parse, cancellationToken) => RunAsync("save", error, async () =>
        {
            string dataDir = parse.GetValue(flags.DataDir)!;
            SnapshotDirectory dir = flags.Directory(parse);
            string file = SnapshotDirectory.NameFor(parse.GetValue(name)!, flags.Node(parse), TimeProvider.System.GetUtcNow());
            string path = dir.PathFor(file);
            string backend = await DatastoreSnapshot.SaveAsync(dataDir, parse.GetValue(etcdEndpoint), path, cancellationToken);
            await output.WriteLineAsync($"Snapshot {file} of the {backend} datastore saved to {path}");
        }));
        return command;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var flags = new Flags();
        var command = new Command("ls", "List the snapshots: name, location, size in bytes, time taken.");
        command.Aliases.Add("list");
        flags.AddTo(command, withNode: false);
        command.SetAction((parse, _) => RunAsync("ls", error, () => output.WriteAsync(Table(flags.Directory(parse).List()))));
        return command;
    }

    private static Command Delete(TextWriter output, TextWriter error)
    {
        var flags = new Flags();
        var names = new Argument<string[]>("NAME") { Description = "Snapshots to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete snapshots by name.") { names };
        command.Aliases.Add("rm");
        flags.AddTo(command, withNode: false);
        command.SetAction((parse, _) => RunAsync("delete", error, async () =>
        {
            SnapshotDirectory dir = flags.Directory(parse);
            foreach (string snapshot in parse.GetValue(names)!)
            {
                dir.Delete(snapshot);
                await output.WriteLineAsync($"Snapshot {snapshot} deleted");
            }
        }));
        return command;
    }

    private static Command Prune(TextWriter output, TextWriter error)
    {
        var flags = new Flags();
        var name = NameOption();
        var retention = new Option<int>("--retention", "--snapshot-retention") { Description = "How many of this node's snapshots of that name to keep, newest first", DefaultValueFactory = _ => 5 };
        retention.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"--retention {result.GetValueOrDefault<int>()} must be at least 1");
            }
        });
        var command = new Command("prune", "Delete this node's snapshots of a name beyond the newest --retention.") { name, retention };
        flags.AddTo(command, withNode: true);
        command.SetAction((parse, _) => RunAsync("prune", error, async () =>
        {
            foreach (string pruned in flags.Directory(parse).Prune(parse.GetValue(name)!, flags.Node(parse), parse.GetValue(retention)))
            {
                await output.WriteLineAsync($"Snapshot {pruned} deleted");
            }
        }));
        return command;
    }

    /// <summary>k3s's <c>etcd-snapshot ls</c> table.</summary>
    internal static string Table(IReadOnlyList<SnapshotInfo> snapshots)
    {
        string[][] rows =
        [
            ["Name", "Location", "Size", "Created"],
            .. snapshots.Select(s => new[] { s.Name, s.Location, s.Size.ToString(CultureInfo.InvariantCulture), s.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) }),
        ];
        int[] widths = [.. Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length))];
        return string.Concat(rows.Select(r => string.Join(' ', r.Select((cell, c) => c == 3 ? cell : cell.PadRight(widths[c]))) + "\n"));
    }

    private static Option<string> NameOption()
    {
        var name = new Option<string>("--name") { Description = "The snapshot's name; the file is <name>-<node>-<unix time>", DefaultValueFactory = _ => SnapshotDirectory.OnDemandName };
        name.Validators.Add(result =>
        {
            try
            {
                SnapshotDirectory.ValidateName(result.GetValueOrDefault<string>() ?? "");
            }
            catch (ArgumentException e)
            {
                result.AddError(e.Message);
            }
        });
        return name;
    }

    private static async Task<int> RunAsync(string verb, TextWriter error, Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException or ArgumentException or RpcException or Microsoft.Data.Sqlite.SqliteException or System.Security.Cryptography.CryptographicException)
        {
            string message = e is RpcException rpc ? $"etcd: {rpc.Status.StatusCode}: {rpc.Status.Detail}" : e.Message;
            await error.WriteLineAsync($"navarch snapshot {verb}: {message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    /// <summary>The flags every verb takes: where the data dir and the snapshots are, and (for save and prune) this node's name.</summary>
    private sealed class Flags
    {
        public Option<string> DataDir { get; } = new("--data-dir", "-d") { Description = "The server's data dir", DefaultValueFactory = _ => "/var/lib/navarch" };

        private readonly Option<string?> _dir = new("--dir", "--snapshot-dir", "--etcd-snapshot-dir") { Description = "The folder of the snapshots (default: <data-dir>/server/db/snapshots)" };

        private readonly Option<string?> _node = new("--node-name") { Description = "This machine's node name, part of the snapshot's name (default: the hostname)" };

        public void AddTo(Command command, bool withNode)
        {
            command.Options.Add(DataDir);
            command.Options.Add(_dir);
            if (withNode)
            {
                command.Options.Add(_node);
            }
        }

        public SnapshotDirectory Directory(ParseResult parse) =>
            new(parse.GetValue(_dir) is { Length: > 0 } dir ? dir : SnapshotDirectory.DefaultPath(parse.GetValue(DataDir)!));

        public string Node(ParseResult parse) => parse.GetValue(_node) is { Length: > 0 } n ? n : Environment.MachineName.ToLowerInvariant();
    }
}
