using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.ApiServer.Storage.Encryption;
using Navarch.Storage;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Storage.Encryption;

/// <summary>
/// Encryption at rest through a real API server and SQLite store: what the official client writes is unreadable in the
/// database files, reads back through get, list and watch, survives key rotation, and an object whose key is gone gives
/// an internal error of its own without stopping lists and watches.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EncryptionAtRestTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-encryption-");

    private string ConfigPath => Path.Combine(_dir.FullName, "encryption.yaml");

    [Theory]
    [InlineData("aescbc", 32)]
    [InlineData("aesgcm", 16)]
    [InlineData("secretbox", 32)]
    public async Task Secrets_are_unreadable_in_the_database_files_and_read_back_through_the_api(string provider, int keySize)
    {
        WriteConfig((provider, [("key1", RandomNumberGenerator.GetBytes(keySize))]));
        await using ApiServerHost host = await ApiServerHost.StartAsync(encryptionProviderConfig: ConfigPath);
        string marker = "plaintext-" + Guid.NewGuid().ToString("N");

        for (int i = 0; i < 3; i++)
        {
            await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = $"db-{i}" },
                StringData = new Dictionary<string, string> { ["password"] = $"{marker}-{i}" },
            }, "default");
        }

        await host.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "plain" }, Data = new Dictionary<string, string> { ["note"] = marker } }, "default");

        Assert.Equal($"{marker}-1", Encoding.UTF8.GetString((await host.Client.CoreV1.ReadNamespacedSecretAsync("db-1", "default")).Data["password"]));
        V1SecretList list = await host.Client.CoreV1.ListNamespacedSecretAsync("default");
        Assert.Equal(["db-0", "db-1", "db-2"], list.Items.Where(s => s.Metadata.Name.StartsWith("db-", StringComparison.Ordinal)).Select(s => s.Metadata.Name).Order());

        byte[] files = DatabaseFiles(host.DataDir);
        foreach (int i in new[] { 0, 1, 2 })
        {
            Assert.Equal(-1, files.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"{marker}-{i}")));
            Assert.Equal(-1, files.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{marker}-{i}")))));
        }

        Assert.NotEqual(-1, files.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"k8s:enc:{provider}:v1:key1:")));
        // Resources the configuration does not name are stored as they are.
        Assert.NotEqual(-1, files.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)));
    }

    [Fact]
    public async Task Watches_and_lists_from_the_watch_cache_see_decrypted_objects()
    {
        WriteConfig(("aescbc", [("key1", RandomNumberGenerator.GetBytes(32))]));
        await using ApiServerHost host = await ApiServerHost.StartAsync(encryptionProviderConfig: ConfigPath);
        V1SecretList start = await host.Client.CoreV1.ListNamespacedSecretAsync("default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new TaskCompletionSource<V1Secret>();
        Task watching = Task.Run(async () =>
        {
            await foreach ((k8s.WatchEventType _, V1Secret secret) in host.Client.CoreV1.WatchListNamespacedSecretAsync("default", resourceVersion: start.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                seen.TrySetResult(secret);
                return;
            }
        });

        await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "watched" }, StringData = new Dictionary<string, string> { ["k"] = "watched-value" } }, "default");

        V1Secret watched = await seen.Task.WaitAsync(cts.Token);
        Assert.Equal("watched-value", Encoding.UTF8.GetString(watched.Data["k"]));
        V1SecretList cached = await host.Client.CoreV1.ListNamespacedSecretAsync("default", resourceVersion: "0");
        Assert.Equal("watched-value", Encoding.UTF8.GetString(cached.Items.Single(s => s.Metadata.Name == "watched").Data["k"]));
        await cts.CancelAsync();
        await watching.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task After_a_rotation_old_objects_read_with_the_old_key_and_reencrypt_moves_them_to_the_new_one()
    {
        byte[] oldKey = RandomNumberGenerator.GetBytes(32), newKey = RandomNumberGenerator.GetBytes(32);
        WriteConfig(("aescbc", [("old", oldKey)]));
        await using ApiServerHost host = await ApiServerHost.StartAsync(encryptionProviderConfig: ConfigPath);
        await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "before" }, StringData = new Dictionary<string, string> { ["k"] = "v1" } }, "default");

        // kube-apiserver's rotation: the new key first (it encrypts), the old one kept to decrypt.
        WriteConfig(("aescbc", [("new", newKey), ("old", oldKey)]));
        await host.RestartAsync();
        Assert.Equal("v1", Encoding.UTF8.GetString((await host.Client.CoreV1.ReadNamespacedSecretAsync("before", "default")).Data["k"]));
        await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "after" }, StringData = new Dictionary<string, string> { ["k"] = "v2" } }, "default");
        Assert.StartsWith("k8s:enc:aescbc:v1:old:", await RawAsync(host, "/registry/secrets/default/before"), StringComparison.Ordinal);
        Assert.StartsWith("k8s:enc:aescbc:v1:new:", await RawAsync(host, "/registry/secrets/default/after"), StringComparison.Ordinal);

        using HttpClient http = host.NewHttp(withClientCertificate: true);
        using HttpResponseMessage started = await http.PutAsync(new Uri("/v1-navarch/encrypt/config", UriKind.Relative), new StringContent("""{"stage":"reencrypt"}"""));
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        await Eventually(async () => (await StatusAsync(http))["stage"]!.GetValue<string>() == "reencrypt_finished", "the reencryption finishes");

        Assert.StartsWith("k8s:enc:aescbc:v1:new:", await RawAsync(host, "/registry/secrets/default/before"), StringComparison.Ordinal);
        WriteConfig(("aescbc", [("new", newKey)]));
        await host.RestartAsync();
        Assert.Equal("v1", Encoding.UTF8.GetString((await host.Client.CoreV1.ReadNamespacedSecretAsync("before", "default")).Data["k"]));
    }

    [Fact]
    public async Task An_object_whose_key_is_gone_is_an_internal_error_of_its_own_and_lists_and_watches_go_on()
    {
        WriteConfig(("aescbc", [("lost", RandomNumberGenerator.GetBytes(32))]));
        await using ApiServerHost host = await ApiServerHost.StartAsync(encryptionProviderConfig: ConfigPath);
        await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "orphan" }, StringData = new Dictionary<string, string> { ["k"] = "v" } }, "default");
        WriteConfig(("aescbc", [("current", RandomNumberGenerator.GetBytes(32))]));
        await host.RestartAsync();

        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => host.Client.CoreV1.ReadNamespacedSecretAsync("orphan", "default"));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Contains("Internal error occurred: unable to transform key \\\"/registry/secrets/default/orphan\\\": no matching key was found for the provided AES transformer", e.Response.Content, StringComparison.Ordinal);

        V1SecretList list = await host.Client.CoreV1.ListNamespacedSecretAsync("default");
        Assert.DoesNotContain(list.Items, s => s.Metadata.Name == "orphan");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var added = new TaskCompletionSource<string>();
        Task watching = Task.Run(async () =>
        {
            await foreach ((k8s.WatchEventType type, V1Secret secret) in host.Client.CoreV1.WatchListNamespacedSecretAsync("default", resourceVersion: "0", cancellationToken: cts.Token))
            {
                if (secret.Metadata.Name == "fresh")
                {
                    added.TrySetResult($"{type} {Encoding.UTF8.GetString(secret.Data["k"])}");
                    return;
                }
            }
        });

        await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "fresh" }, StringData = new Dictionary<string, string> { ["k"] = "new" } }, "default");
        Assert.Equal("Added new", await added.Task.WaitAsync(cts.Token));
        await cts.CancelAsync();
        await watching.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task A_server_without_the_key_configuration_refuses_encrypted_data_as_kube_apiserver_does()
    {
        WriteConfig(("secretbox", [("k", RandomNumberGenerator.GetBytes(32))]));
        await using ApiServerHost host = await ApiServerHost.StartAsync(encryptionProviderConfig: ConfigPath);
        await host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "sealed" }, StringData = new Dictionary<string, string> { ["k"] = "v" } }, "default");
        var encrypting = (EncryptingStore)host.Server.Store;
        encrypting.Transformers = ResourceTransformers.None;

        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => host.Client.CoreV1.ReadNamespacedSecretAsync("sealed", "default"));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Contains("identity transformer tried to read encrypted data", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_configuration_stops_the_server_from_starting_with_the_reason()
    {
        await File.WriteAllTextAsync(ConfigPath, "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: c2hvcnQ=}]}}]\n");

        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => ApiServerHost.StartAsync(encryptionProviderConfig: ConfigPath));
        Assert.Contains("secret is not of the expected length, got 5, expected one of [16 24 32]", e.Message, StringComparison.Ordinal);
    }

    internal static async Task<JsonNode> StatusAsync(HttpClient http)
    {
        using HttpResponseMessage response = await http.GetAsync(new Uri("/v1-navarch/encrypt/status", UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    /// <summary>The stored bytes of <paramref name="key"/> as the store below the encryption holds them.</summary>
    internal static async Task<string> RawAsync(ApiServerHost host, string key)
    {
        KeyValue? kv = await ((EncryptingStore)host.Server.Store).Inner.GetAsync(key);
        Assert.NotNull(kv);
        return Encoding.Latin1.GetString(kv.Value);
    }

    /// <summary>The database file, its write-ahead log and its shared-memory index, read as another process would.</summary>
    internal static byte[] DatabaseFiles(string dataDir)
    {
        var bytes = new List<byte>();
        foreach (string path in new[] { "state.db", "state.db-wal", "state.db-shm" }.Select(f => Path.Combine(dataDir, "server", "db", f)).Where(File.Exists))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            file.CopyTo(copy);
            bytes.AddRange(copy.ToArray());
        }

        Assert.NotEmpty(bytes);
        return [.. bytes];
    }

    private void WriteConfig(params (string Type, (string Name, byte[] Key)[] Keys)[] providers) =>
        File.WriteAllText(ConfigPath, new EncryptionConfiguration([new ResourceConfiguration(["secrets"], providers.Select(p => new ProviderConfiguration(p.Type, p.Keys.Select(k => new EncryptionKey(k.Name, Convert.ToBase64String(k.Key))).ToList())).ToList())]).ToJson());

    public void Dispose() => _dir.Delete(recursive: true);
}
