using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer.Pki;
using Navarch.Storage.Etcd;

namespace Navarch.Server.Etcd;

/// <summary>
/// This server's member of the embedded etcd cluster (k3s's pkg/etcd): made on first start — a new one-member cluster
/// (<c>--cluster-init</c>) or a learner added to the cluster of the server named by <c>--server</c>, promoted to a
/// voting member once it caught up — and started again from <c>config.json</c> at every later start. etcd itself runs
/// as a supervised child process (<see cref="EtcdSupervisor"/>) with client and peer TLS from the cluster CA.
/// </summary>
internal sealed partial class EmbeddedEtcd : IAsyncDisposable
{
    /// <summary>etcd's limit on a request: Navarch accepts 3 MiB values; etcd's default is 1.5 MiB.</summary>
    private const long MaxRequestBytes = 10L * 1024 * 1024;

    private readonly EtcdSupervisor _supervisor;
    private readonly GrpcChannel _channel;
    private readonly TimeProvider _time;

    private EmbeddedEtcd(EtcdMemberConfig member, EtcdCertificates certificates, EtcdSupervisor supervisor, GrpcChannel channel, TimeProvider time)
    {
        _time = time;
        Member = member;
        Certificates = certificates;
        _supervisor = supervisor;
        _channel = channel;
    }

    /// <summary>This member.</summary>
    public EtcdMemberConfig Member { get; }

    /// <summary>Its TLS files.</summary>
    public EtcdCertificates Certificates { get; }

    /// <summary>The supervised etcd's PID, or 0.</summary>
    public int ProcessId => _supervisor.ProcessId;

    /// <summary>True when <paramref name="dataDir"/> already holds an embedded etcd member (a server made with --cluster-init or a join).</summary>
    public static bool ExistsIn(string dataDir) => File.Exists(EtcdMemberConfig.PathIn(dataDir));

    /// <summary>How the API server reaches this member: over TLS with the etcd client certificate, a bounded deadline per call.</summary>
    public EtcdStoreOptions StoreOptions(ILoggerFactory loggers) => new()
    {
        Endpoints = Member.ClientUrl,
        ClientCertificate = Certificates.LoadClient(),
        TrustedCa = Certificates.LoadCa(),
        // Without quorum etcd fails a write after its own request timeout (about 7 s); reads wait for a leader. Either
        // ends as StorageErrorCode.Unavailable, a 503, well within the clients' timeouts.
        RequestTimeout = TimeSpan.FromSeconds(10),
        LoggerFactory = loggers,
    };

    /// <summary>Makes (first start) or finds this server's member and starts its etcd; returns when it answers.</summary>
    /// <exception cref="InvalidDataException">The join failed, or etcd cannot be run.</exception>
    public static async Task<EmbeddedEtcd> StartAsync(EmbeddedEtcdOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ILogger logger = loggers.CreateLogger<EmbeddedEtcd>();
        string serverDir = Path.Combine(Path.GetFullPath(options.DataDir), "server");
        SetAsideIfRemoved(options, serverDir, logger);
        EtcdMemberConfig? member = EtcdMemberConfig.Read(options.DataDir);
        IReadOnlyList<string> joinUrls = [];
        if (member is null && options.JoinServer is { } server)
        {
            try
            {
                joinUrls = await ServerJoin.BootstrapAsync(server, options.Token ?? "", options.DataDir, cancellationToken);
            }
            catch (Join.JoinException e)
            {
                throw new InvalidDataException($"cannot join {server}: {e.Message}", e);
            }
        }

        ClusterPki pki = ClusterPki.LoadOrCreate(Path.Combine(serverDir, "tls"), FirstAddress(options.ServiceCidr), options.Time, options.BindsAll ? [] : [options.BindAddress]);
        var certificates = new EtcdCertificates(EtcdCertificates.DirectoryIn(options.DataDir));
        certificates.Ensure(pki, options.AdvertiseAddress, options.Time);

        (long Id, string Through) learner = default;
        if (member is null)
        {
            member = NewMember(options);
            if (joinUrls.Count > 0)
            {
                (learner, string initialCluster) = await AddLearnerAsync(joinUrls, member, certificates, logger, options.Time, cancellationToken);
                member = member with { InitialCluster = initialCluster, InitialClusterState = "existing" };
            }

            // Written once the member exists in the cluster: a restart finds its name and URLs again.
            member.Write();
        }

        // A restore from a snapshot (ClusterReset, before this) left a one-member data dir; a reset without one is etcd's
        // --force-new-cluster on this start alone: the member forgets its peers and keeps its data.
        List<string> firstStartOnly = [];
        if (options.ForceNewCluster && learner.Id == 0)
        {
            member = member with { InitialCluster = $"{member.Name}={member.PeerUrl}" };
            member.Write();
            firstStartOnly.Add("--force-new-cluster");
            LogForceNewCluster(logger, member.Name);
        }

        GrpcChannel channel = EtcdStore.CreateChannel(member.ClientUrl, new EtcdStoreOptions { Endpoints = member.ClientUrl, ClientCertificate = certificates.LoadClient(), TrustedCa = certificates.LoadCa() });
        var supervisor = new EtcdSupervisor(Arguments(member, certificates), serverDir, channel, logger, options.Time, options.Binary, firstStartOnly);
        var etcd = new EmbeddedEtcd(member, certificates, supervisor, channel, options.Time);
        try
        {
            await supervisor.StartAsync(cancellationToken);
            if (learner.Id != 0)
            {
                await etcd.PromoteAsync(learner.Id, [learner.Through!], logger, cancellationToken);
            }
            else if (await etcd.LearnerIdAsync(cancellationToken) is { } id)
            {
                // Added as a learner by an earlier start that ended before the promotion (k3s's promotion loop runs
                // at every start): promoted now, through the server it joined, as a learner serves no membership calls.
                await etcd.PromoteAsync(id, await VotingClientUrlsAsync(options, member, cancellationToken), logger, cancellationToken);
            }
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }

        LogStarted(logger, member.Name, member.ClientUrl, member.PeerUrl);
        return etcd;
    }

    /// <summary>
    /// A member removed from the cluster (its etcd left a tombstone, <see cref="EtcdSupervisor"/>) must not run again on
    /// its old data: as k3s, the data dir is moved aside (<c>etcd.removed-&lt;unix time&gt;</c>) and the server joins the
    /// cluster of <c>--server</c> as a new member. Without <c>--server</c> there is no cluster to join: refused.
    /// </summary>
    private static void SetAsideIfRemoved(EmbeddedEtcdOptions options, string serverDir, ILogger logger)
    {
        string etcdDir = Path.Combine(serverDir, "db", "etcd");
        if (!File.Exists(EtcdSupervisor.TombstoneIn(etcdDir)))
        {
            return;
        }

        if (options.JoinServer is null)
        {
            throw new InvalidDataException($"this server's etcd member was removed from the cluster ({EtcdSupervisor.TombstoneIn(etcdDir)} exists): start it with --server <a cluster member> and --token to rejoin, or move {etcdDir} aside and start with --cluster-init for a new cluster");
        }

        string aside = $"{etcdDir}.removed-{options.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        Directory.Move(etcdDir, aside);
        LogSetAside(logger, aside);
    }

    /// <summary>
    /// Makes and writes this server's member of a new one-member cluster, for a restore onto a data dir that has none
    /// (<see cref="ClusterReset"/>: the snapshot's data is restored under it before etcd first starts).
    /// </summary>
    public static void WriteNewMember(EmbeddedEtcdOptions options) => NewMember(options).Write();

    private static EtcdMemberConfig NewMember(EmbeddedEtcdOptions options)
    {
        string name = $"{options.NodeName}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        return new EtcdMemberConfig
        {
            Name = name,
            ClientUrl = options.ClientUrl,
            PeerUrl = options.PeerUrl,
            // Bound to every address, etcd listens on loopback too (as k3s's): local tools reach it at 127.0.0.1. A server
            // bound to its own loopback address (127.0.0.2, ...) leaves 127.0.0.1:2379 to others on the machine.
            ListenClientUrls = options.BindsAll ? [options.ClientUrl, $"https://127.0.0.1:{options.ClientPort}"] : [options.ClientUrl],
            DataDir = EtcdMemberConfig.DataDirIn(options.DataDir),
            TlsDir = EtcdCertificates.DirectoryIn(options.DataDir),
            InitialCluster = $"{name}={options.PeerUrl}",
            InitialClusterState = "new",
        };
    }

    private static List<string> Arguments(EtcdMemberConfig member, EtcdCertificates tls) =>
    [
        "--initial-cluster", member.InitialCluster,
        "--initial-cluster-state", member.InitialClusterState,
        "--name", member.Name,
        "--data-dir", member.DataDir,
        "--listen-client-urls", string.Join(',', member.ListenClientUrls),
        "--advertise-client-urls", member.ClientUrl,
        "--listen-peer-urls", member.PeerUrl,
        "--initial-advertise-peer-urls", member.PeerUrl,
        "--cert-file", tls.ServerCertFile,
        "--key-file", tls.ServerKeyFile,
        "--trusted-ca-file", tls.CaFile,
        "--client-cert-auth",
        "--peer-cert-file", tls.PeerCertFile,
        "--peer-key-file", tls.PeerKeyFile,
        "--peer-trusted-ca-file", tls.CaFile,
        "--peer-client-cert-auth",
        "--max-request-bytes", MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
        "--logger", "zap",
        "--log-outputs", "stderr",
    ];

    /// <summary>
    /// Adds this member as a learner through any of <paramref name="clientUrls"/> (etcd's MemberAdd), and returns its id,
    /// the URL that took it, and the <c>--initial-cluster</c> list of every member (the new one under its own name).
    /// etcd takes one learner at a time, and only once its leader has been connected to every voting member for 5 s
    /// (strict reconfiguration check, "unhealthy cluster"): while another server is still joining, this asks again for a minute.
    /// </summary>
    private static async Task<((long Id, string Through) Learner, string InitialCluster)> AddLearnerAsync(IReadOnlyList<string> clientUrls, EtcdMemberConfig member, EtcdCertificates tls, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        long deadline = time.GetTimestamp() + time.TimestampFrequency * 60;
        while (true)
        {
            RpcException? last = null;
            foreach (string url in clientUrls)
            {
                using GrpcChannel channel = EtcdStore.CreateChannel(url, new EtcdStoreOptions { Endpoints = url, ClientCertificate = tls.LoadClient(), TrustedCa = tls.LoadCa() });
                var cluster = new Cluster.ClusterClient(channel);
                try
                {
                    MemberAddResponse added = await cluster.MemberAddAsync(new MemberAddRequest { PeerURLs = { member.PeerUrl }, IsLearner = true }, deadline: DateTime.UtcNow.AddSeconds(15), cancellationToken: cancellationToken);
                    LogLearnerAdded(logger, member.Name, url);
                    string initial = string.Join(',', added.Members.SelectMany(m => m.PeerURLs.Select(peer => $"{(m.ID == added.Member.ID ? member.Name : m.Name)}={peer}")));
                    return (((long)added.Member.ID, url), initial);
                }
                catch (RpcException e)
                {
                    last = e;
                }
            }

            if (!Transient(last) || time.GetTimestamp() > deadline)
            {
                throw new InvalidDataException($"cannot add this server's etcd member to the cluster at {string.Join(", ", clientUrls)}: {last?.Status.Detail}", last);
            }

            LogWaitingToJoin(logger, member.Name, last!.Status.Detail);
            await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken);
        }
    }

    private static bool Transient(RpcException? e) =>
        e is not null && (e.Status.Detail.Contains("too many learner", StringComparison.Ordinal) || e.Status.Detail.Contains("unhealthy cluster", StringComparison.Ordinal) || e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded);

    /// <summary>
    /// Promotes the learner to a voting member through a voting member (any of <paramref name="through"/>, in turn; a
    /// learner refuses the call): etcd refuses until the learner's log caught up with the leader's, so this asks again
    /// every second (for up to five minutes), as k3s's promotion loop does.
    /// </summary>
    private async Task PromoteAsync(long id, IReadOnlyList<string> through, ILogger logger, CancellationToken cancellationToken)
    {
        GrpcChannel[] channels = [.. through.Select(url => EtcdStore.CreateChannel(url, new EtcdStoreOptions { Endpoints = url, ClientCertificate = Certificates.LoadClient(), TrustedCa = Certificates.LoadCa() }))];
        try
        {
            await PromoteThroughAsync(id, channels, logger, cancellationToken);
            // The leader committed the promotion; this member applies it a moment later, and until then refuses the
            // API server's calls ("rpc not supported for learner").
            long deadline = _time.GetTimestamp() + _time.TimestampFrequency * 60;
            while (await LearnerIdAsync(cancellationToken) is not null && _time.GetTimestamp() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
            }
        }
        finally
        {
            foreach (GrpcChannel channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private async Task PromoteThroughAsync(long id, GrpcChannel[] channels, ILogger logger, CancellationToken cancellationToken)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow.AddMinutes(5);
        for (int attempt = 0; ; attempt++)
        {
            var cluster = new Cluster.ClusterClient(channels[attempt % channels.Length]);
            try
            {
                await cluster.MemberPromoteAsync(new MemberPromoteRequest { ID = (ulong)id }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
                LogPromoted(logger, Member.Name);
                return;
            }
            catch (RpcException e) when (e.Status.Detail.Contains("not a learner", StringComparison.Ordinal))
            {
                return;
            }
            catch (RpcException e) when (DateTimeOffset.UtcNow < deadline)
            {
                LogPromoteRetry(logger, Member.Name, e.Status.Detail);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>This member's id when it is a learner (etcd's Status, which a learner serves); null for a voting member.</summary>
    private async Task<long?> LearnerIdAsync(CancellationToken cancellationToken)
    {
        StatusResponse status = await new Maintenance.MaintenanceClient(_channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
        return status.IsLearner ? (long)status.Header.MemberId : null;
    }

    /// <summary>The client URLs of voting members, from the server this one joined (its <c>--server</c>, asked again with the token).</summary>
    private static async Task<IReadOnlyList<string>> VotingClientUrlsAsync(EmbeddedEtcdOptions options, EtcdMemberConfig member, CancellationToken cancellationToken)
    {
        if (options.JoinServer is not { } server)
        {
            throw new InvalidDataException($"this server's etcd member {member.Name} is a learner that was never promoted: start the server again with --server and --token (the server it joined) to promote it");
        }

        try
        {
            IReadOnlyList<string> urls = await ServerJoin.BootstrapAsync(server, options.Token ?? "", options.DataDir, cancellationToken);
            string[] voting = [.. urls.Where(url => url != member.ClientUrl)];
            return voting.Length > 0 ? voting : throw new InvalidDataException($"{server} named no other etcd member to promote this server's member {member.Name} through");
        }
        catch (Join.JoinException e)
        {
            throw new InvalidDataException($"cannot promote this server's etcd member {member.Name} through {server}: {e.Message}", e);
        }
    }

    /// <summary>The cluster's members, as this member sees them.</summary>
    public async Task<IReadOnlyList<Member>> MembersAsync(CancellationToken cancellationToken) =>
        (await new Cluster.ClusterClient(_channel).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken)).Members;

    /// <summary>Removes the member named <paramref name="name"/> (etcd's MemberRemove); false when there is none by that name.</summary>
    public async Task<bool> RemoveMemberAsync(string name, CancellationToken cancellationToken)
    {
        if ((await MembersAsync(cancellationToken)).FirstOrDefault(m => m.Name == name) is not { } member)
        {
            return false;
        }

        try
        {
            await new Cluster.ClusterClient(_channel).MemberRemoveAsync(new MemberRemoveRequest { ID = member.ID }, deadline: DateTime.UtcNow.AddSeconds(15), cancellationToken: cancellationToken);
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Removed meanwhile by another server.
            return false;
        }
    }

    private static IPAddress FirstAddress(string cidr)
    {
        byte[] bytes = IPNetwork.Parse(cidr).BaseAddress.GetAddressBytes();
        bytes[^1]++;
        return new IPAddress(bytes);
    }

    /// <summary>Stops etcd.</summary>
    public async ValueTask DisposeAsync()
    {
        await _supervisor.DisposeAsync();
        _channel.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded etcd member {Name} serving clients at {ClientUrl}, peers at {PeerUrl}")]
    private static partial void LogStarted(ILogger logger, string name, string clientUrl, string peerUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Added etcd member {Name} as a learner through {Url}")]
    private static partial void LogLearnerAdded(ILogger logger, string name, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "etcd member {Name} waits to be added: {Reason}")]
    private static partial void LogWaitingToJoin(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Promoted etcd member {Name} to a voting member")]
    private static partial void LogPromoted(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tombstone found: this server's etcd member was removed from the cluster; its datastore is kept as {Aside} and the server joins the cluster again as a new member")]
    private static partial void LogSetAside(ILogger logger, string aside);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster reset: etcd member {Name} starts as the sole member of a new cluster (--force-new-cluster), keeping its data; the other servers' members are forgotten (they rejoin with an empty server/db)")]
    private static partial void LogForceNewCluster(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "etcd member {Name} not promoted yet: {Reason}")]
    private static partial void LogPromoteRetry(ILogger logger, string name, string reason);
}
