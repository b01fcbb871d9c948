namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// A single SQLite server restarted with <c>--cluster-init</c> (as k3s converts one): its objects are in the new
/// embedded etcd and <c>state.db</c> is set aside.
/// </summary>
[Trait("Category", "Integration")]
[Collection(LoopbackEtcdCollection.Name)]
public sealed class SqliteToEtcdMigrationTests : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-ha-");
    private LoopbackServer? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RestartWithClusterInitMovesObjectsIntoEtcd()
    {
        LoopbackServer server = _server = new LoopbackServer("127.0.0.2", _root);
        await server.StartAsync();
        string db = Path.Combine(server.DataDir, "server", "db", "state.db");
        Assert.True(File.Exists(db));
        Assert.Equal(0, (await server.KubectlAsync("create", "namespace", "kept")).ExitCode);
        Assert.Equal(0, (await server.KubectlAsync("create", "configmap", "settings", "-n", "kept", "--from-literal=color=blue")).ExitCode);
        Assert.Equal(0, (await server.KubectlAsync("create", "secret", "generic", "password", "-n", "kept", "--from-literal=p=s3cret")).ExitCode);
        await server.StopAsync();

        await server.StartAsync("--cluster-init");
        Assert.True(File.Exists(Path.Combine(server.DataDir, "server", "db", "etcd", "config.json")));
        Assert.False(File.Exists(db));
        Assert.Single(Directory.GetFiles(Path.Combine(server.DataDir, "server", "db"), "state.db.migrated-*"));
        Kubectl.Result color = await server.KubectlAsync("get", "configmap", "settings", "-n", "kept", "-o", "jsonpath={.data.color}");
        Assert.Equal("blue", color.Stdout);
        Kubectl.Result secret = await server.KubectlAsync("get", "secret", "password", "-n", "kept", "-o", "jsonpath={.data.p}");
        Assert.Equal(Convert.ToBase64String("s3cret"u8.ToArray()), secret.Stdout);

        // Written after the migration, kept across a restart on etcd (no second migration).
        Assert.Equal(0, (await server.KubectlAsync("create", "configmap", "after", "-n", "kept")).ExitCode);
        await server.StopAsync();
        await server.StartAsync();
        Assert.Equal(0, (await server.KubectlAsync("get", "configmap", "after", "-n", "kept")).ExitCode);
        Assert.Equal("blue", (await server.KubectlAsync("get", "configmap", "settings", "-n", "kept", "-o", "jsonpath={.data.color}")).Stdout);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }
}
