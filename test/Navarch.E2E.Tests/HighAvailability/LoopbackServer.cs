using System.Diagnostics;

namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// One <c>navarch server --disable-agent</c> bound to its own loopback address (127.0.0.2, ...) on the standard ports
/// (6443, etcd's 2379/2380), with its own data dir: started and restarted with the same command line, killed like a
/// lost machine (<c>kill -9</c> of the server and of its etcd, by PID), stopped by PID and its data dir removed on dispose.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly string[] _flags;
    private NavarchCli? _process;

    public LoopbackServer(string address, DirectoryInfo root, params string[] flags)
    {
        Address = address;
        DataDir = Path.Combine(root.FullName, address);
        _flags = flags;
    }

    public string Address { get; }

    public string DataDir { get; }

    /// <summary>The admin kubeconfig the server writes (pointing at https://&lt;address&gt;:6443).</summary>
    public string Kubeconfig => Path.Combine(DataDir, "server", "cred", "admin.kubeconfig");

    /// <summary>The end of what the running server logged (for failure messages).</summary>
    public string LogTail => _process is null ? "(not running)" : $"exited: {_process.HasExited}\n" + string.Join('\n', (_process.Stdout + _process.Stderr).Split('\n').TakeLast(40));

    /// <summary>The server token.</summary>
    public string Token => File.ReadAllText(Path.Combine(DataDir, "server", "token")).Trim();

    /// <summary>The server's node name, <c>server-127-0-0-2</c>.</summary>
    public string NodeName => "server-" + Address.Replace('.', '-');

    /// <summary>Its etcd member's <c>config.json</c>, written once the member was added to the cluster.</summary>
    public string MemberConfig => Path.Combine(DataDir, "server", "db", "etcd", "config.json");

    /// <summary>Its etcd member's name (from <see cref="MemberConfig"/>).</summary>
    public string MemberName => System.Text.Json.JsonDocument.Parse(File.ReadAllText(MemberConfig)).RootElement.GetProperty("name").GetString()!;

    /// <summary>Starts the server (extra <paramref name="flags"/> on top of the constructor's) and waits until /readyz says ok.</summary>
    public async Task StartAsync(params string[] flags)
    {
        Launch(flags);
        await WaitReadyAsync();
    }

    /// <summary>Starts the server without waiting for it.</summary>
    public void Launch(params string[] flags) =>
        _process = NavarchCli.Start(["server", "--disable-agent", "--bind-address", Address, "--data-dir", DataDir, "--node-name", NodeName, .. _flags, .. flags]);

    public async Task WaitReadyAsync() =>
        await Eventually(
            async () =>
            {
                Assert.False(_process!.HasExited, $"navarch server on {Address} exited: {_process.Stderr}");
                return File.Exists(Kubeconfig) && (await KubectlAsync("get", "--raw", "/readyz")).ExitCode == 0;
            },
            $"navarch server on {Address} is ready",
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(250),
            () => Task.FromResult(_process!.Stderr));

    public Task<Kubectl.Result> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, args, timeout: TimeSpan.FromSeconds(60));

    /// <summary>The supervised etcd's PID (from <c>server/db/etcd.pid</c>), or 0.</summary>
    public int EtcdPid
    {
        get
        {
            string file = Path.Combine(DataDir, "server", "db", "etcd.pid");
            return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out int pid) ? pid : 0;
        }
    }

    /// <summary>The machine is lost: SIGKILL to the server and to its etcd.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            // Reaped before the NavarchCli is disposed, so that its dispose finds it exited and walks no process tree.
            using Process server = Process.GetProcessById(_process.Id);
            server.Kill();
            await server.WaitForExitAsync();
            await Eventually(() => _process.HasExited, $"the server on {Address} is reaped", TimeSpan.FromSeconds(10));
        }

        // Read once the server is dead: it starts no etcd after that, and the PID file of one it started is there.
        int etcd = EtcdPid;
        if (etcd != 0 && File.Exists($"/proc/{etcd}/comm") && File.ReadAllText($"/proc/{etcd}/comm").Trim() == "etcd")
        {
            using Process process = Process.GetProcessById(etcd);
            process.Kill();
            await process.WaitForExitAsync();
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Stops the server with SIGTERM (it stops its etcd).</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync();
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        // A server that did not stop its etcd (killed) leaves it to us: by PID.
        await KillAsync();
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}
