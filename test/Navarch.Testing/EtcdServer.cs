using System.Diagnostics;
using System.Globalization;

namespace Navarch.Testing;

/// <summary>
/// A real single-member etcd (Debian's etcd-server) on loopback ports in a temp dir, stopped by PID and
/// removed on dispose. Fails loudly when etcd is not installed: `scripts/test.sh` installs it.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    /// <summary>Navarch values may be 3 MiB; etcd's default request limit is 1.5 MiB.</summary>
    public const int MaxRequestBytes = 8 * 1024 * 1024;

    private readonly Process _process;
    private readonly DirectoryInfo _dir;

    private EtcdServer(Process process, DirectoryInfo dir, string endpoint)
    {
        _process = process;
        _dir = dir;
        Endpoint = endpoint;
    }

    /// <summary>The client URL, e.g. http://127.0.0.1:40123.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Starts etcd and waits until it reports healthy. etcd needs its ports on its command line, so they are picked
    /// free first; when another process takes one before etcd binds it, etcd exits with "address already in use" and
    /// is started again on new ports. <paramref name="dataDir"/> starts it on an existing data dir (e.g. a restored
    /// snapshot; left in place on dispose) instead of a new one.
    /// </summary>
    public static async Task<EtcdServer> StartAsync(string binary = "/usr/bin/etcd", string? dataDir = null)
    {
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"etcd is not installed at {binary}: run scripts/test.sh (it installs etcd-server) or apt-get install etcd-server");
        }

        return await PortRetry.StartAsync(() => StartOnceAsync(binary, dataDir), e => PortRetry.SaysAddressInUse(e.Message));
    }

    /// <summary>Starts etcd once, on ports picked now; a failed start says why (etcd's error output) and cleans up.</summary>
    private static async Task<EtcdServer> StartOnceAsync(string binary, string? dataDir)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-etcd-");
        int client = FreePort.Next(), peer = FreePort.Next();
        string clientUrl = $"http://127.0.0.1:{client}", peerUrl = $"http://127.0.0.1:{peer}";
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--name", "navarch-test",
            "--data-dir", dataDir ?? Path.Combine(dir.FullName, "data"),
            "--listen-client-urls", clientUrl,
            "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", $"navarch-test={peerUrl}",
            "--max-request-bytes", MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
            "--logger", "zap",
            "--log-level", "error",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("etcd did not start");

        // Drain its output so a chatty etcd never blocks on a full pipe; keep its errors for a failed start.
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new EtcdServer(process, dir, clientUrl);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    await process.WaitForExitAsync();
                    lock (errors)
                    {
                        throw new InvalidOperationException($"etcd exited with code {process.ExitCode} during start: {errors}");
                    }
                }

                try
                {
                    string health = await http.GetStringAsync(new Uri(clientUrl + "/health"));
                    if (health.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                if (clock.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException("etcd did not become healthy within 30 s");
                }

                await Task.Delay(100);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Delete(recursive: true);
    }
}
