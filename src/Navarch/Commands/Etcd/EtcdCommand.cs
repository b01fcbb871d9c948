using System.CommandLine;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Navarch.Server.Etcd;
using Navarch.Storage.Etcd;

namespace Navarch.Commands.Etcd;

/// <summary>
/// <c>navarch etcd member list|remove</c>: the embedded etcd cluster's members, through this server's member with the
/// etcd client certificate in its data dir (as <c>etcdctl member</c> would be used on a k3s server).
/// </summary>
internal static class EtcdCommand
{
    public static Command Create()
    {
        var member = new Command("member", "List or remove the embedded etcd cluster's members.");
        member.Subcommands.Add(ListCommand());
        member.Subcommands.Add(RemoveCommand());
        var etcd = new Command("etcd", "The embedded etcd of a server started with --cluster-init or joined with --server.");
        etcd.Subcommands.Add(member);
        return etcd;
    }

    private static Option<string> DataDirOption() => new("--data-dir", "-d") { Description = "The server's data dir", DefaultValueFactory = _ => "/var/lib/navarch" };

    private static Command ListCommand()
    {
        var dataDir = DataDirOption();
        var command = new Command("list", "List the members: name, id, status, voting or learner, peer and client URLs.") { dataDir };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(dataDir)!, async cluster =>
        {
            MemberListResponse list = await cluster.MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            Console.WriteLine($"{"NAME",-28} {"ID",-16} {"STATUS",-9} {"VOTER",-6} {"PEER URLS",-28} CLIENT URLS");
            foreach (Member m in list.Members.OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                // etcd names a member only once it started; until then it lists it with no name and no client URLs.
                string status = m.ClientURLs.Count > 0 ? "started" : "unstarted";
                Console.WriteLine($"{(m.Name.Length > 0 ? m.Name : "-"),-28} {m.ID:x16} {status,-9} {(m.IsLearner ? "false" : "true"),-6} {string.Join(',', m.PeerURLs),-28} {string.Join(',', m.ClientURLs)}");
            }

            return 0;
        }));
        return command;
    }

    private static Command RemoveCommand()
    {
        var dataDir = DataDirOption();
        var name = new Argument<string>("name") { Description = "The member's name (or its hex id)" };
        var command = new Command("remove", "Remove a member from the cluster (its etcd stops and leaves a tombstone; restarted, its server joins again as a new member with a fresh datastore).") { dataDir, name };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(dataDir)!, async cluster =>
        {
            string wanted = parse.GetValue(name)!;
            MemberListResponse list = await cluster.MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            if (list.Members.FirstOrDefault(m => m.Name == wanted || m.ID.ToString("x", System.Globalization.CultureInfo.InvariantCulture) == wanted.TrimStart('0')) is not { } member)
            {
                await Console.Error.WriteLineAsync($"navarch etcd member remove: no member named {wanted}");
                return 1;
            }

            await cluster.MemberRemoveAsync(new MemberRemoveRequest { ID = member.ID }, deadline: DateTime.UtcNow.AddSeconds(15), cancellationToken: cancellationToken);
            Console.WriteLine($"Removed member {wanted} ({member.ID:x16})");
            return 0;
        }));
        return command;
    }

    private static async Task<int> RunAsync(string dataDir, Func<Cluster.ClusterClient, Task<int>> body)
    {
        if (EtcdMemberConfig.Read(dataDir) is not { } member)
        {
            await Console.Error.WriteLineAsync($"navarch etcd: {EtcdMemberConfig.PathIn(dataDir)} not found: this data dir holds no embedded etcd member");
            return 1;
        }

        var tls = new EtcdCertificates(member.TlsDir);
        using GrpcChannel channel = EtcdStore.CreateChannel(member.ClientUrl, new EtcdStoreOptions { Endpoints = member.ClientUrl, ClientCertificate = tls.LoadClient(), TrustedCa = tls.LoadCa() });
        try
        {
            return await body(new Cluster.ClusterClient(channel));
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"navarch etcd: {member.ClientUrl}: {e.Status.StatusCode}: {e.Status.Detail}");
            return 1;
        }
    }
}
