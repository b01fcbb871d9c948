using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.ApiServer.Join;
using Navarch.ApiServer.Storage.Encryption;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Storage.Encryption;

/// <summary>
/// k3s's --secrets-encryption and the secrets-encrypt commands through the server's endpoints: the generated
/// configuration, rotate-keys, the prepare/rotate/reencrypt steps, enable and disable, and who may use them.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SecretsEncryptionTests
{
    [Fact]
    public async Task The_generated_configuration_encrypts_secrets_with_an_aescbc_key_kept_outside_the_database()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(secretsEncryption: true);
        string config = SecretsEncryption.ManagedConfigPath(host.DataDir);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        EncryptionConfiguration parsed = EncryptionConfiguration.Load(config);
        Assert.Equal(["secrets"], parsed.Resources.Single().Resources);
        Assert.Equal(["aescbc", "identity"], parsed.Resources.Single().Providers.Select(p => p.Type));
        string key = parsed.Resources.Single().Providers[0].Keys.Single().Secret;
        Assert.Equal(32, Convert.FromBase64String(key).Length);

        await CreateAsync(host, "s", "v");
        Assert.StartsWith("k8s:enc:aescbc:v1:aescbckey:", await EncryptionAtRestTests.RawAsync(host, "/registry/secrets/default/s"), StringComparison.Ordinal);
        Assert.Equal(-1, EncryptionAtRestTests.DatabaseFiles(host.DataDir).AsSpan().IndexOf(Encoding.ASCII.GetBytes(key)));

        using HttpClient http = host.NewHttp(withClientCertificate: true);
        JsonNode status = await EncryptionAtRestTests.StatusAsync(http);
        Assert.True(status["enable"]!.GetValue<bool>());
        Assert.Equal("start", status["stage"]!.GetValue<string>());
        Assert.Equal("""[{"active":true,"type":"AES-CBC","name":"aescbckey"}]""", status["keys"]!.ToJsonString());

        // The configuration survives a restart unchanged.
        await host.RestartAsync();
        Assert.Equal(key, EncryptionConfiguration.Load(config).Resources.Single().Providers[0].Keys.Single().Secret);
        Assert.Equal("v", await ReadAsync(host, "s"));
    }

    [Fact]
    public async Task Rotate_keys_encrypts_with_a_new_key_reencrypts_every_secret_and_drops_the_old_key()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(secretsEncryption: true);
        using HttpClient http = host.NewHttp(withClientCertificate: true);
        for (int i = 0; i < 20; i++)
        {
            await CreateAsync(host, $"s{i}", $"value-{i}");
        }

        JsonNode started = await CommandAsync(http, "rotate-keys");
        Assert.Equal("reencrypt_active", started["stage"]!.GetValue<string>());
        JsonNode finished = await FinishedAsync(http);

        string newKey = finished["keys"]!.AsArray().Single()!["name"]!.GetValue<string>();
        Assert.Matches("^aescbckey-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", newKey);
        Assert.True(finished["reencrypted"]!.GetValue<int>() >= 20);
        for (int i = 0; i < 20; i++)
        {
            Assert.StartsWith($"k8s:enc:aescbc:v1:{newKey}:", await EncryptionAtRestTests.RawAsync(host, $"/registry/secrets/default/s{i}"), StringComparison.Ordinal);
            Assert.Equal($"value-{i}", await ReadAsync(host, $"s{i}"));
        }

        Assert.Equal([newKey], EncryptionConfiguration.Load(SecretsEncryption.ManagedConfigPath(host.DataDir)).Resources.Single().Providers[0].Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task Every_change_stores_the_bootstrap_data_again_so_a_snapshot_carries_the_keys_the_secrets_use()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(secretsEncryption: true);
        using HttpClient http = host.NewHttp(withClientCertificate: true);
        string token = host.Server.JoinToken.Token.ToString();
        string config = SecretsEncryption.ManagedConfigPath(host.DataDir);
        string initial = await File.ReadAllTextAsync(config);
        Assert.Null(await host.Server.Store.GetAsync(BootstrapData.KeyFor(token)));

        // Stored when the command returns, and again when the re-encryption drops the old key in the background.
        await CommandAsync(http, "rotate-keys");
        Assert.NotNull(await host.Server.Store.GetAsync(BootstrapData.KeyFor(token)));
        await FinishedAsync(http);

        string now = await File.ReadAllTextAsync(config);
        Assert.NotEqual(initial, now);
        Dictionary<string, string> stored = BootstrapData.TryDecrypt((await host.Server.Store.GetAsync(BootstrapData.KeyFor(token)))!.Value, token)!;
        Assert.Equal(now, stored["cred/encryption-config.json"]);
    }

    [Fact]
    public async Task Prepare_rotate_and_reencrypt_are_the_steps_one_by_one()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(secretsEncryption: true);
        using HttpClient http = host.NewHttp(withClientCertificate: true);
        await CreateAsync(host, "first", "1");

        JsonNode prepared = await CommandAsync(http, "prepare");
        Assert.Equal("prepare", prepared["stage"]!.GetValue<string>());
        Assert.Equal([true, false], prepared["keys"]!.AsArray().Select(k => k!["active"]!.GetValue<bool>()));
        string added = prepared["keys"]![1]!["name"]!.GetValue<string>();
        await CreateAsync(host, "second", "2");
        Assert.StartsWith("k8s:enc:aescbc:v1:aescbckey:", await EncryptionAtRestTests.RawAsync(host, "/registry/secrets/default/second"), StringComparison.Ordinal);

        JsonNode rotated = await CommandAsync(http, "rotate");
        Assert.Equal(added, rotated["keys"]![0]!["name"]!.GetValue<string>());
        await CreateAsync(host, "third", "3");
        Assert.StartsWith($"k8s:enc:aescbc:v1:{added}:", await EncryptionAtRestTests.RawAsync(host, "/registry/secrets/default/third"), StringComparison.Ordinal);
        Assert.Equal("1", await ReadAsync(host, "first"));

        await CommandAsync(http, "reencrypt");
        await FinishedAsync(http);
        foreach (string name in new[] { "first", "second", "third" })
        {
            Assert.StartsWith($"k8s:enc:aescbc:v1:{added}:", await EncryptionAtRestTests.RawAsync(host, $"/registry/secrets/default/{name}"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Disable_stores_new_secrets_in_plain_text_and_enable_encrypts_again()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(secretsEncryption: true);
        using HttpClient http = host.NewHttp(withClientCertificate: true);
        await CreateAsync(host, "encrypted", "e");

        Assert.False((await CommandAsync(http, "disable"))["enable"]!.GetValue<bool>());
        await CreateAsync(host, "plain", "p");
        Assert.StartsWith("{", await EncryptionAtRestTests.RawAsync(host, "/registry/secrets/default/plain"), StringComparison.Ordinal);
        Assert.Equal("e", await ReadAsync(host, "encrypted"));
        await CommandAsync(http, "reencrypt", force: true);
        await FinishedAsync(http);
        Assert.StartsWith("{", await EncryptionAtRestTests.RawAsync(host, "/registry/secrets/default/encrypted"), StringComparison.Ordinal);

        Assert.True((await CommandAsync(http, "enable"))["enable"]!.GetValue<bool>());
        await CommandAsync(http, "reencrypt", force: true);
        await FinishedAsync(http);
        Assert.StartsWith("k8s:enc:aescbc:v1:", await EncryptionAtRestTests.RawAsync(host, "/registry/secrets/default/plain"), StringComparison.Ordinal);
        Assert.Equal("p", await ReadAsync(host, "plain"));
    }

    [Fact]
    public async Task Commands_out_of_order_or_without_a_managed_configuration_are_refused_with_the_reason()
    {
        await using (ApiServerHost managed = await ApiServerHost.StartAsync(secretsEncryption: true))
        {
            using HttpClient http = managed.NewHttp(withClientCertificate: true);
            Assert.Contains("rotate is not allowed in stage start: it follows prepare", await RefusedAsync(http, "rotate", HttpStatusCode.BadRequest), StringComparison.Ordinal);
            Assert.Contains("reencrypt is not allowed in stage start: it follows rotate", await RefusedAsync(http, "reencrypt", HttpStatusCode.BadRequest), StringComparison.Ordinal);
            Assert.Contains("unknown secrets-encrypt command \\\"spin\\\"", await RefusedAsync(http, "spin", HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }

        await using ApiServerHost plain = await ApiServerHost.StartAsync();
        using HttpClient plainHttp = plain.NewHttp(withClientCertificate: true);
        Assert.False((await EncryptionAtRestTests.StatusAsync(plainHttp))["enable"]!.GetValue<bool>());
        Assert.Contains("secrets encryption is not enabled: start the server with --secrets-encryption", await RefusedAsync(plainHttp, "rotate-keys", HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_an_administrator_reaches_the_endpoints()
    {
        string tokens = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(tokens, "dev-token,developer,1001,\"developers\"\n");
            await using ApiServerHost host = await ApiServerHost.StartAsync(tokenAuthFile: tokens, authorizationMode: "RBAC", secretsEncryption: true);
            using HttpClient http = host.NewHttp(withClientCertificate: false);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev-token");

            using HttpResponseMessage status = await http.GetAsync(new Uri("/v1-navarch/encrypt/status", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
            Assert.Contains("User \\\"developer\\\" cannot get path \\\"/v1-navarch/encrypt/status\\\"", await status.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using HttpResponseMessage rotate = await http.PutAsync(new Uri("/v1-navarch/encrypt/config", UriKind.Relative), new StringContent("""{"stage":"rotate-keys"}"""));
            Assert.Equal(HttpStatusCode.Forbidden, rotate.StatusCode);
            using HttpClient anonymous = host.NewHttp(withClientCertificate: false);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/v1-navarch/encrypt/status", UriKind.Relative))).StatusCode);
        }
        finally
        {
            File.Delete(tokens);
        }
    }

    private static Task CreateAsync(ApiServerHost host, string name, string value) =>
        host.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name }, StringData = new Dictionary<string, string> { ["k"] = value } }, "default");

    private static async Task<string> ReadAsync(ApiServerHost host, string name) =>
        Encoding.UTF8.GetString((await host.Client.CoreV1.ReadNamespacedSecretAsync(name, "default")).Data["k"]);

    private static async Task<JsonNode> CommandAsync(HttpClient http, string stage, bool force = false)
    {
        using HttpResponseMessage response = await http.PutAsync(new Uri("/v1-navarch/encrypt/config", UriKind.Relative), new StringContent(new JsonObject { ["stage"] = stage, ["force"] = force }.ToJsonString()));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    private static async Task<string> RefusedAsync(HttpClient http, string stage, HttpStatusCode code)
    {
        using HttpResponseMessage response = await http.PutAsync(new Uri("/v1-navarch/encrypt/config", UriKind.Relative), new StringContent(new JsonObject { ["stage"] = stage }.ToJsonString()));
        Assert.Equal(code, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<JsonNode> FinishedAsync(HttpClient http) =>
        Eventually(() => EncryptionAtRestTests.StatusAsync(http), s => s["stage"]!.GetValue<string>() == "reencrypt_finished", "the reencryption finishes");
}
