using System.Diagnostics;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// Three servers on one machine, each on its own loopback address with an embedded etcd (issue 21): one inits the
/// cluster, two join it; objects written through one are read through another; losing one server leaves a working
/// cluster, losing two leaves the last one not ready and refusing writes with 503; a lost server restarted with the
/// same command line rejoins and quorum returns.
/// </summary>
[Trait("Category", "Integration")]
[Collection(LoopbackEtcdCollection.Name)]
public sealed class EmbeddedEtcdClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-ha-");
    private readonly List<LoopbackServer> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ThreeServersKeepServingWithOneLostAndRefuseWritesWithoutQuorum()
    {
        LoopbackServer first = Server("127.0.0.2");
        await first.StartAsync("--cluster-init");
        string token = first.Token;
        LoopbackServer second = Server("127.0.0.3", "--server", "https://127.0.0.2:6443", "--token", token);
        await second.StartAsync();
        LoopbackServer third = Server("127.0.0.4", "--server", "https://127.0.0.2:6443", "--token", token);
        await third.StartAsync();

        // The joined servers share the cluster CA and the service account key; each has its own serving certificate,
        // naming its own address, and its kubeconfig and etcd member use that address too.
        foreach (string shared in new[] { "tls/server-ca.crt", "tls/server-ca.key", "tls/service.key", "token" })
        {
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(first.DataDir, "server", shared)), await File.ReadAllTextAsync(Path.Combine(third.DataDir, "server", shared)));
        }

        using (var serving = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(third.DataDir, "server", "tls", "serving-kube-apiserver.crt"))))
        {
            Assert.Contains(System.Net.IPAddress.Parse("127.0.0.4"), serving.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
        }

        Assert.Contains("server: https://127.0.0.4:6443", await File.ReadAllTextAsync(third.Kubeconfig));
        Kubectl.Result members = await NavarchCli.RunAsync(["etcd", "member", "list", "--data-dir", third.DataDir]);
        Assert.True(members.ExitCode == 0, members.Output);
        string[] rows = members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Matches(@"\sstarted\s+true\s", row));
        foreach (string address in new[] { "127.0.0.2", "127.0.0.3", "127.0.0.4" })
        {
            Assert.Contains(rows, row => row.Contains($"https://{address}:2380", StringComparison.Ordinal) && row.Contains($"https://{address}:2379", StringComparison.Ordinal));
        }

        string config = await File.ReadAllTextAsync(Path.Combine(first.DataDir, "server", "db", "etcd", "config.json"));
        Assert.Contains("\"clientUrl\": \"https://127.0.0.2:2379\"", config);
        Assert.Contains("\"peerUrl\": \"https://127.0.0.2:2380\"", config);

        Assert.Equal(0, (await first.KubectlAsync("create", "configmap", "written-through-first", "--from-literal=k=v")).ExitCode);
        await Eventually(async () => (await third.KubectlAsync("get", "configmap", "written-through-first")).ExitCode == 0, "the third server reads what the first wrote", TimeSpan.FromSeconds(10));

        // One machine lost (the first, the likely etcd leader): writes through the others still succeed.
        var clock = Stopwatch.StartNew();
        await first.KillAsync();
        await Eventually(async () => (await second.KubectlAsync("create", "configmap", "after-one-lost", "--from-literal=k=v")).ExitCode == 0 || (await second.KubectlAsync("get", "configmap", "after-one-lost")).ExitCode == 0, "a write through the second server succeeds with one server lost", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        output.WriteLine($"first write acknowledged {clock.ElapsedMilliseconds} ms after kill -9 of one of three servers");
        Assert.Equal(0, (await third.KubectlAsync("get", "configmap", "after-one-lost")).ExitCode);

        // A second machine lost: the last server has no quorum. Not ready, and writes end in 503 within a bound.
        await second.KillAsync();
        await Eventually(
            async () =>
            {
                Kubectl.Result ready = await third.KubectlAsync("get", "--raw", "/readyz");
                return ready.ExitCode != 0 && ready.Output.Contains("[-]etcd failed", StringComparison.Ordinal);
            },
            "the last server reports not ready (etcd check failing)",
            TimeSpan.FromSeconds(30));
        clock.Restart();
        Kubectl.Result refused = await third.KubectlAsync("create", "configmap", "without-quorum", "--from-literal=k=v", "-v=6");
        output.WriteLine($"write without quorum refused after {clock.ElapsedMilliseconds} ms");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(refused.Stderr.Contains(" 503 Service Unavailable", StringComparison.Ordinal), refused.Stderr + "\n" + third.LogTail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the refusal took {clock.Elapsed}");
        Kubectl.Result read = await third.KubectlAsync("get", "configmap", "after-one-lost", "-v=6");
        Assert.True(read.ExitCode == 0 || read.Stderr.Contains(" 503 Service Unavailable", StringComparison.Ordinal), read.Output);

        // The second machine comes back with the same command line and data dir: quorum returns.
        clock.Restart();
        await second.StartAsync();
        await Eventually(async () => (await third.KubectlAsync("create", "configmap", "quorum-back", "--from-literal=k=v")).ExitCode == 0 || (await third.KubectlAsync("get", "configmap", "quorum-back")).ExitCode == 0, "a write through the third server succeeds again", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        output.WriteLine($"quorum back {clock.ElapsedMilliseconds} ms after restarting a lost server");
        await third.WaitReadyAsync();
        Assert.Equal(0, (await second.KubectlAsync("get", "configmap", "written-through-first")).ExitCode);

        // The first machine is gone for good: its member is removed, and the two left are the whole cluster.
        string firstMember = System.Text.Json.JsonDocument.Parse(config).RootElement.GetProperty("name").GetString()!;
        Kubectl.Result removed = await NavarchCli.RunAsync(["etcd", "member", "remove", firstMember, "--data-dir", third.DataDir]);
        Assert.True(removed.ExitCode == 0, removed.Output);
        Kubectl.Result left = await NavarchCli.RunAsync(["etcd", "member", "list", "--data-dir", second.DataDir]);
        Assert.True(left.ExitCode == 0, left.Output);
        Assert.Equal(2, left.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        Assert.DoesNotContain(firstMember, left.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await second.KubectlAsync("create", "configmap", "two-member-cluster")).ExitCode);
    }

    private LoopbackServer Server(string address, params string[] flags)
    {
        var server = new LoopbackServer(address, _root, flags);
        _servers.Add(server);
        return server;
    }

    public async Task DisposeAsync()
    {
        foreach (LoopbackServer server in _servers)
        {
            await server.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }
}
