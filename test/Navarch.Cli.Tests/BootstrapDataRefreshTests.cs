using System.Net;
using System.Net.Http.Json;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.ApiServer.Join;
using Navarch.Server;
using Navarch.Snapshots;
using Navarch.Storage.Sqlite;

namespace Navarch.Cli.Tests;

/// <summary>
/// The bootstrap data in the datastore follows a key rotation while the server runs: after <c>secrets-encrypt
/// rotate-keys</c> (the Secrets re-encrypted with a new key), a snapshot taken at once carries the new encryption
/// config, so a data dir restored from it with the token can still read the Secrets.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BootstrapDataRefreshTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-bootstrap-refresh-");

    private string DataDir => Path.Combine(_dir.FullName, "data");

    [Fact]
    public async Task Rotating_the_secrets_encryption_keys_stores_the_new_config_in_the_bootstrap_data_at_once()
    {
        await using var server = new ServerRuntime(new ServerOptions
        {
            ApiServer = new ApiServerOptions { DataDir = DataDir, Port = 0, BindAddress = IPAddress.Loopback, SecretsEncryption = true },
            Snapshots = new SnapshotOptions { Disabled = true },
        }, NullLoggerFactory.Instance);
        await server.StartApiServerAsync(CancellationToken.None);
        string token = (await File.ReadAllTextAsync(Path.Combine(DataDir, "server", "token"))).Trim();
        string configPath = Path.Combine(DataDir, "server", "cred", "encryption-config.json");
        string before = await File.ReadAllTextAsync(configPath);
        Assert.Equal(before, (await StoredFilesAsync(token, "before"))["cred/encryption-config.json"]);

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(DataDir, "server", "cred", "admin.kubeconfig")));
        using var rotate = new HttpRequestMessage(HttpMethod.Put, new Uri(client.BaseUri, "/v1-navarch/encrypt/config")) { Content = JsonContent.Create(new { stage = "rotate-keys" }) };
        using HttpResponseMessage response = await client.HttpClient.SendAsync(rotate);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        string after = await File.ReadAllTextAsync(configPath);
        Assert.NotEqual(before, after);
        Assert.Equal(after, (await StoredFilesAsync(token, "after"))["cred/encryption-config.json"]);
        await server.StopAsync();
    }

    /// <summary>The shared files the datastore holds for <paramref name="token"/>, read from a snapshot the CLI takes beside the running server.</summary>
    private async Task<Dictionary<string, string>> StoredFilesAsync(string token, string name)
    {
        string snapshots = Path.Combine(_dir.FullName, "snapshots");
        var output = new StringWriter();
        var root = new System.CommandLine.RootCommand { Commands.Snapshot.SnapshotCommand.Create(output, output) };
        Assert.Equal(0, await root.Parse(["snapshot", "save", "--data-dir", DataDir, "--node-name", "n1", "--name", name, "--dir", snapshots]).InvokeAsync());
        string snapshot = Assert.Single(Directory.GetFiles(snapshots, name + "-*"));
        byte[] stored = (await SqliteSnapshot.ReadValueAsync(snapshot, BootstrapData.KeyFor(token)))!;
        return BootstrapData.TryDecrypt(stored, token)!;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
