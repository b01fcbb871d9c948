using System.Net;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.ApiServer.Join;
using Navarch.Server;
using Navarch.Snapshots;
using Navarch.Storage.Sqlite;

namespace Navarch.Cli.Tests;

/// <summary>
/// <c>navarch token rotate --token &lt;old&gt; --new-token &lt;new&gt;</c> (k3s's) against a running server: the bootstrap data
/// in the datastore is re-encrypted under the new token and the old copy deleted, the server's token file holds the new
/// one, the old one is refused at once by the server-only endpoint, a restart with the old token is refused and one with
/// the new token serves, and a snapshot taken afterwards restores onto a wiped data dir with the new token only.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TokenRotateTests : IDisposable
{
    private const string NewSecret = "n3w-server-secret";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-token-rotate-");

    private string DataDir => Path.Combine(_dir.FullName, "data");

    private string TokenFile => Path.Combine(DataDir, "server", "token");

    private ServerRuntime Server(string? token = null, SnapshotOptions? snapshots = null) => new(new ServerOptions
    {
        ApiServer = new ApiServerOptions { DataDir = DataDir, Port = 0, BindAddress = IPAddress.Loopback, Token = token },
        Snapshots = snapshots ?? new SnapshotOptions { Disabled = true },
    }, NullLoggerFactory.Instance);

    private string ServerUrl => KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(DataDir, "server", "cred", "admin.kubeconfig")).Host;

    private static async Task<(int Code, string Output, string Error)> NavarchAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new System.CommandLine.RootCommand { Commands.Token.TokenCommand.Create(output, error), Commands.Snapshot.SnapshotCommand.Create(output, error) };
        int code = await root.Parse(args).InvokeAsync();
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The server-only endpoint a joining server fetches the cluster's secrets from, asked with <paramref name="token"/>.</summary>
    private async Task<HttpStatusCode> ServerBootstrapStatusAsync(string token)
    {
        using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataDir, "server", "tls", "server-ca.crt"));
        using HttpClient http = Join.AgentJoin.TrustingOnly(ca);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServerUrl + JoinProtocol.ServerBootstrapPath));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Rotating_re_encrypts_the_bootstrap_data_so_only_the_new_token_joins_restarts_and_restores()
    {
        string old;
        string snapshots = Path.Combine(_dir.FullName, "snapshots");
        await using (ServerRuntime server = Server())
        {
            await server.StartApiServerAsync(CancellationToken.None);
            old = (await File.ReadAllTextAsync(TokenFile)).Trim();
            // Not a server of this cluster: refused with the server's reason in one line, nothing changed.
            (int code, _, string error) = await NavarchAsync("token", "rotate", "--data-dir", DataDir, "--server", ServerUrl, "--token", "server:wrong", "--new-token", NewSecret);
            Assert.Equal(1, code);
            Assert.Equal("navarch token: token rejected", error.Trim());
            Assert.Equal(old, (await File.ReadAllTextAsync(TokenFile)).Trim());
            (code, _, error) = await NavarchAsync("token", "rotate", "--data-dir", DataDir, "--server", ServerUrl, "--token", old, "--new-token", "abcdef.0123456789abcdef");
            Assert.Equal(1, code);
            Assert.Contains("invalid new token: it is a bootstrap token", error, StringComparison.Ordinal);

            (code, string output, error) = await NavarchAsync("token", "rotate", "--data-dir", DataDir, "--server", ServerUrl, "--token", old, "--new-token", NewSecret);
            Assert.True(code == 0, error);
            Assert.StartsWith("WARNING: Recommended to keep a record of the old token.", output, StringComparison.Ordinal);
            Assert.Contains("Token rotated, restart navarch nodes with new token", output, StringComparison.Ordinal);

            // The token file holds the new secret for the same CA; the old token no longer opens the server-only endpoint.
            JoinToken now = JoinToken.Parse(await File.ReadAllTextAsync(TokenFile));
            Assert.Equal("server:" + NewSecret, now.Credentials);
            Assert.Equal(JoinToken.Parse(old).CaHash, now.CaHash);
            Assert.Equal(HttpStatusCode.Unauthorized, await ServerBootstrapStatusAsync(old));
            Assert.NotEqual(HttpStatusCode.Unauthorized, await ServerBootstrapStatusAsync(now.ToString()));

            Assert.Equal(0, (await NavarchAsync("snapshot", "save", "--data-dir", DataDir, "--node-name", "n1", "--dir", snapshots)).Code);
            await server.StopAsync();
        }

        // The datastore holds the bootstrap data under the new token only.
        string snapshot = Assert.Single(Directory.GetFiles(snapshots));
        Assert.Null(await SqliteSnapshot.ReadValueAsync(snapshot, BootstrapData.KeyFor(old)));
        byte[] stored = (await SqliteSnapshot.ReadValueAsync(snapshot, BootstrapData.KeyFor(NewSecret)))!;
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(DataDir, "server", "tls", "server-ca.key")), BootstrapData.TryDecrypt(stored, NewSecret)!["tls/server-ca.key"]);

        await using (ServerRuntime withOld = Server(old))
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => withOld.StartApiServerAsync(CancellationToken.None));
            Assert.StartsWith("bootstrap data already found and encrypted with different token", e.Message, StringComparison.Ordinal);
        }

        // Refused before anything was written: the token file still holds the new token.
        Assert.Equal("server:" + NewSecret, JoinToken.Parse(await File.ReadAllTextAsync(TokenFile)).Credentials);

        await using (ServerRuntime withNew = Server(NewSecret))
        {
            await withNew.StartApiServerAsync(CancellationToken.None);
            await withNew.StopAsync();
        }

        // A wiped data dir restores the snapshot taken after the rotation with the new token, not the old one.
        Directory.Delete(DataDir, recursive: true);
        var restore = new SnapshotOptions { Disabled = true, ClusterReset = true, ClusterResetRestorePath = snapshot };
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterReset.RunAsync(DataDir, "", restore, null, old, TimeProvider.System, NullLogger.Instance, CancellationToken.None));
        Assert.Contains("holds no bootstrap data for this --token", refused.Message, StringComparison.Ordinal);
        await ClusterReset.RunAsync(DataDir, "", restore, null, NewSecret, TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(DataDir, "server", "tls", "server-ca.key")));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
