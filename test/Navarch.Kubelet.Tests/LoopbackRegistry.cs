using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// A private image registry on loopback: Debian's docker-registry (distribution 2.x) with htpasswd basic auth and
/// its storage in a temp dir. <see cref="PushAsync"/> uploads an OCI image layout tarball through the registry's
/// HTTP API (blobs, then the manifest). Dispose stops the registry and removes its files.
/// </summary>
internal sealed class LoopbackRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly HttpClient _http;

    private LoopbackRegistry(Process process, string dir, int port, string user, string password)
    {
        _process = process;
        _dir = dir;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    /// <summary>The registry's host:port, for image references.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public int Port { get; }

    /// <summary>
    /// Starts the registry. It takes its address from its config file, so the port is picked free first; when another
    /// process takes it before the registry binds, the registry exits with "address already in use" and is started
    /// again on a new port.
    /// </summary>
    public static async Task<LoopbackRegistry> StartAsync(string user, string password)
    {
        EnsurePackages();
        return await PortRetry.StartAsync(() => StartOnceAsync(user, password), e => PortRetry.SaysAddressInUse(e.Message));
    }

    private static async Task<LoopbackRegistry> StartOnceAsync(string user, string password)
    {
        string dir = Path.Combine("/tmp", "nvreg-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]);
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        string htpasswd = await RunAsync("htpasswd", "-Bbn", user, password);
        await File.WriteAllTextAsync(Path.Combine(dir, "htpasswd"), htpasswd);
        int port = FreePort.Next();
        await File.WriteAllTextAsync(Path.Combine(dir, "config.yml"), $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {dir}/data
            http:
              addr: 127.0.0.1:{port}
            auth:
              htpasswd:
                realm: navarch-test
                path: {dir}/htpasswd
            """);
        var info = new ProcessStartInfo("docker-registry", ["serve", Path.Combine(dir, "config.yml")]) { RedirectStandardError = true, RedirectStandardOutput = true };
        Process process = Process.Start(info)!;
        var said = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (said)
            {
                said.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var registry = new LoopbackRegistry(process, dir, port, user, password);
        try
        {
            using var anonymous = new HttpClient();
            await Eventually(
                async () =>
                {
                    if (process.HasExited)
                    {
                        // Its whole error output read first: it says why.
                        process.WaitForExit();
                        lock (said)
                        {
                            Assert.Fail($"docker-registry exited: {said}");
                        }
                    }

                    try
                    {
                        using HttpResponseMessage r = await anonymous.GetAsync($"http://127.0.0.1:{port}/v2/");
                        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
                        return true;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                "docker-registry answers",
                interval: TimeSpan.FromMilliseconds(100));
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>Uploads the first image of an OCI layout tarball as <paramref name="repository"/>:<paramref name="tag"/>.</summary>
    public async Task PushAsync(string ociTar, string repository, string tag)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using (FileStream stream = File.OpenRead(ociTar))
        {
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.DataStream is not null)
                {
                    using var copy = new MemoryStream();
                    await entry.DataStream.CopyToAsync(copy);
                    files[entry.Name.TrimStart('.', '/')] = copy.ToArray();
                }
            }
        }

        byte[] Blob(string digest) => files["blobs/" + digest.Replace(':', '/')];

        using JsonDocument index = JsonDocument.Parse(files["index.json"]);
        JsonElement descriptor = index.RootElement.GetProperty("manifests")[0];
        string manifestDigest = descriptor.GetProperty("digest").GetString()!;
        byte[] manifest = Blob(manifestDigest);
        using JsonDocument parsed = JsonDocument.Parse(manifest);
        IEnumerable<string> blobs = parsed.RootElement.GetProperty("layers").EnumerateArray()
            .Append(parsed.RootElement.GetProperty("config"))
            .Select(d => d.GetProperty("digest").GetString()!);
        foreach (string digest in blobs)
        {
            using HttpResponseMessage started = await _http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            Uri location = started.Headers.Location!;
            string upload = (location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString) + (location.OriginalString.Contains('?') ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest);
            using var content = new ByteArrayContent(Blob(digest));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using HttpResponseMessage put = await _http.PutAsync(upload, content);
            Assert.True(put.StatusCode == HttpStatusCode.Created, $"blob {digest}: {put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        using var body = new ByteArrayContent(manifest);
        body.Headers.ContentType = new MediaTypeHeaderValue(descriptor.GetProperty("mediaType").GetString()!);
        using HttpResponseMessage tagged = await _http.PutAsync($"/v2/{repository}/manifests/{tag}", body);
        Assert.True(tagged.StatusCode == HttpStatusCode.Created, $"manifest: {tagged.StatusCode} {await tagged.Content.ReadAsStringAsync()}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Installs docker-registry and apache2-utils (htpasswd) through scripts/lib/packages.sh when missing.</summary>
    private static void EnsurePackages()
    {
        if (File.Exists("/usr/bin/docker-registry") && File.Exists("/usr/bin/htpasswd"))
        {
            return;
        }

        using Process p = Process.Start(new ProcessStartInfo("bash", ["-c", ". scripts/lib/packages.sh && ensure_packages docker-registry apache2-utils"]) { WorkingDirectory = TestImages.RepoRoot() })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "docker-registry and apache2-utils are needed: run scripts/lib/packages.sh (ensure_packages docker-registry apache2-utils) as root");
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        using Process p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true })!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        return output;
    }
}
