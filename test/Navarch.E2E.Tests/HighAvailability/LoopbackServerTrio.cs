namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// Three <c>navarch server --disable-agent</c> on one machine, each on its own loopback address (127.0.0.2-4, the
/// standard ports) with an embedded etcd — the first with <c>--cluster-init</c>, the others joined to it — as one
/// <see cref="IKubectlServer"/>: every kubectl call goes to the next server in turn, so a test's write through one
/// server is read, changed or watched through another.
/// </summary>
public sealed class LoopbackServerTrio : IKubectlServer, IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-ha-trio-");
    private readonly List<LoopbackServer> _servers = [];
    private int _next = -1;

    public string Kubeconfig => _servers[(int)((uint)Interlocked.Increment(ref _next) % (uint)_servers.Count)].Kubeconfig;

    public string DataDir => _root.FullName;

    public async Task InitializeAsync()
    {
        var first = new LoopbackServer("127.0.0.2", _root);
        _servers.Add(first);
        await first.StartAsync("--cluster-init");
        foreach (string address in new[] { "127.0.0.3", "127.0.0.4" })
        {
            var joined = new LoopbackServer(address, _root, "--server", "https://127.0.0.2:6443", "--token", first.Token);
            _servers.Add(joined);
            await joined.StartAsync();
        }
    }

    public Task<Kubectl.Result> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, args);

    public Task<Kubectl.Result> KubectlWithInputAsync(string input, params string[] args) => Kubectl.RunAsync(Kubeconfig, args, input);

    public async Task DisposeAsync()
    {
        foreach (LoopbackServer server in Enumerable.Reverse(_servers))
        {
            await server.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }
}
