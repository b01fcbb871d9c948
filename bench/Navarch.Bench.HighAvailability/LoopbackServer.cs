using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Etcdserverpb;
using Grpc.Net.Client;
using k8s;
using Navarch.Storage.Etcd;

namespace Navarch.Bench.HighAvailability;

/// <summary>
/// One <c>navarch server --disable-agent</c> bound to its own loopback address (127.0.0.2, ...) on the standard ports,
/// as the HA end-to-end tests run three on one machine: started as a child process on its own data dir, killed like a
/// lost machine (SIGKILL to the server and to its etcd, by PID), stopped with SIGTERM and its data dir removed on dispose.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly string[] _flags;
    private Process? _process;

    private LoopbackServer(string address, string root, string[] flags)
    {
        Address = address;
        DataDir = Path.Combine(root, address);
        _flags = flags;
    }

    public string Address { get; }

    public string DataDir { get; }

    public Kubernetes Client { get; private set; } = null!;

    /// <summary>The server token a joining server presents.</summary>
    public string Token => File.ReadAllText(Path.Combine(DataDir, "server", "token")).Trim();

    /// <summary>
    /// Whether <paramref name="identity"/> (a Lease's holder) is this server's controller-manager and scheduler identity,
    /// <c>&lt;name&gt;_&lt;id&gt;</c> with the id from its data dir (the name is the host's when the server runs no agent).
    /// </summary>
    public bool Holds(string? identity) => identity?.EndsWith("_" + File.ReadAllText(Path.Combine(DataDir, "server", "leader-election-id")).Trim(), StringComparison.Ordinal) == true;

    private string NodeName => "server-" + Address.Replace('.', '-');

    private string Kubeconfig => Path.Combine(DataDir, "server", "cred", "admin.kubeconfig");

    private string Log => Path.Combine(DataDir, "server.log");

    private static string Binary =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Navarch", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "navarch.dll"));

    /// <summary>Starts a server on <paramref name="address"/> under <paramref name="root"/> and waits until /readyz answers ok.</summary>
    public static async Task<LoopbackServer> StartAsync(string address, string root, params string[] flags)
    {
        var server = new LoopbackServer(address, root, flags);
        try
        {
            await server.StartCoreAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync()
    {
        Directory.CreateDirectory(DataDir);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])[Binary, "server", "--disable-agent", "--bind-address", Address, "--data-dir", DataDir, "--node-name", NodeName, .. _flags])
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        _process = Process.Start(start)!;
        var log = new StreamWriter(Log) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        while (true)
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"navarch server on {Address} did not become ready; see {Log}");
            }

            if (File.Exists(Kubeconfig))
            {
                Client ??= new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using HttpResponseMessage ready = await Client.HttpClient.GetAsync(new Uri(Client.BaseUri, "/readyz"), timeout.Token);
                    if (ready.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    // Not serving yet.
                }
            }

            await Task.Delay(200);
        }
    }

    /// <summary>This server's etcd member's status (etcd's Maintenance.Status): its id, and the leader's.</summary>
    public async Task<StatusResponse> EtcdStatusAsync()
    {
        using GrpcChannel channel = EtcdChannel(out X509Certificate2 client);
        using (client)
        {
            return await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
        }
    }

    /// <summary>Hands etcd leadership from this server's member (the leader) to member <paramref name="id"/> (etcd's MoveLeader).</summary>
    public async Task MoveEtcdLeaderAsync(ulong id)
    {
        using GrpcChannel channel = EtcdChannel(out X509Certificate2 client);
        using (client)
        {
            await new Maintenance.MaintenanceClient(channel).MoveLeaderAsync(new MoveLeaderRequest { TargetID = id }, deadline: DateTime.UtcNow.AddSeconds(15));
        }
    }

    private GrpcChannel EtcdChannel(out X509Certificate2 client)
    {
        string tls = Path.Combine(DataDir, "server", "tls", "etcd");
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(Path.Combine(tls, "server-ca.crt"));
        string url = $"https://{Address}:2379";
        client = X509Certificate2.CreateFromPemFile(Path.Combine(tls, "client.crt"), Path.Combine(tls, "client.key"));
        return EtcdStore.CreateChannel(url, new EtcdStoreOptions { Endpoints = url, ClientCertificate = client, TrustedCa = ca });
    }

    /// <summary>The machine is lost: SIGKILL to the server and to its etcd.</summary>
    public async Task KillAsync()
    {
        string pidFile = Path.Combine(DataDir, "server", "db", "etcd.pid");
        int etcd = File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) ? pid : 0;
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        if (etcd != 0 && File.Exists($"/proc/{etcd}/comm") && File.ReadAllText($"/proc/{etcd}/comm").Trim() == "etcd")
        {
            using Process process = Process.GetProcessById(etcd);
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Stops the server with SIGTERM (it stops its etcd), kills what is left, and removes the data dir.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await KillAsync();
        Client?.Dispose();
        _process?.Dispose();
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}
