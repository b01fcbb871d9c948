using System.CommandLine;
using System.Net;
using Navarch.Commands;
using Navarch.Server.Etcd;

namespace Navarch.Cli.Tests;

/// <summary>Which servers run an embedded etcd, and the URLs a new member advertises and listens on.</summary>
[Trait("Category", "Unit")]
public sealed class EmbeddedEtcdFlagsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-etcd-flags-");

    [Fact]
    public void Cluster_init_or_server_selects_the_embedded_etcd_and_an_external_endpoint_wins()
    {
        Assert.Null(Options());
        Assert.NotNull(Options("--cluster-init"));
        Assert.Equal("https://127.0.0.2:6443", Options("--server", "https://127.0.0.2:6443")?.JoinServer);
        Assert.Null(WithDatastore("http://127.0.0.1:2379", "--cluster-init"));
    }

    [Fact]
    public void A_data_dir_with_a_member_keeps_using_it()
    {
        new EtcdMemberConfig
        {
            Name = "n-0a1b2c3d",
            ClientUrl = "https://127.0.0.2:2379",
            PeerUrl = "https://127.0.0.2:2380",
            ListenClientUrls = ["https://127.0.0.2:2379"],
            DataDir = EtcdMemberConfig.DataDirIn(_dir.FullName),
            TlsDir = EtcdCertificates.DirectoryIn(_dir.FullName),
            InitialCluster = "n-0a1b2c3d=https://127.0.0.2:2380",
            InitialClusterState = "new",
        }.Write();
        Assert.NotNull(Options());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(EtcdMemberConfig.DataDirIn(_dir.FullName)));
        Assert.Equal("n-0a1b2c3d", EtcdMemberConfig.Read(_dir.FullName)?.Name);
        Assert.Equal(["https://127.0.0.2:2379"], EmbeddedEtcdFlags.ClientUrls(Options()));
    }

    [Fact]
    public void Urls_use_the_bind_address_or_the_advertised_one_when_bound_to_all()
    {
        EmbeddedEtcdOptions own = WithBind(IPAddress.Parse("127.0.0.3"), "--cluster-init")!;
        Assert.Equal("https://127.0.0.3:2379", own.ClientUrl);
        Assert.Equal("https://127.0.0.3:2380", own.PeerUrl);
        Assert.False(own.BindsAll);
        EmbeddedEtcdOptions all = WithBind(IPAddress.Any, "--cluster-init")!;
        Assert.True(all.BindsAll);
        Assert.Equal("https://10.0.0.5:2379", all.ClientUrl);
        Assert.Equal("https://10.0.0.5:2380", all.PeerUrl);
    }

    [Fact]
    public void Cluster_init_and_server_exclude_each_other()
    {
        var flags = new EmbeddedEtcdFlags();
        var command = new Command("server");
        flags.AddTo(command);
        ParseResult parse = command.Parse(["--cluster-init", "--server", "https://127.0.0.2:6443"]);
        Assert.Contains(parse.Errors, e => e.Message.Contains("exclude each other", StringComparison.Ordinal));
    }

    private EmbeddedEtcdOptions? Options(params string[] args) => Parse(IPAddress.Parse("127.0.0.2"), "", args);

    private EmbeddedEtcdOptions? WithBind(IPAddress bind, params string[] args) => Parse(bind, "", args);

    private EmbeddedEtcdOptions? WithDatastore(string datastore, params string[] args) => Parse(IPAddress.Parse("127.0.0.2"), datastore, args);

    private EmbeddedEtcdOptions? Parse(IPAddress bind, string datastore, string[] args)
    {
        var flags = new EmbeddedEtcdFlags();
        var command = new Command("server");
        flags.AddTo(command);
        ParseResult parse = command.Parse(args);
        IPAddress advertise = bind.Equals(IPAddress.Any) ? IPAddress.Parse("10.0.0.5") : bind;
        return flags.Options(parse, _dir.FullName, "n", bind, advertise, datastore, null, "10.43.0.0/16");
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
