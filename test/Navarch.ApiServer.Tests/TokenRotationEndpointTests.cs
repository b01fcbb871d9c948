using System.Net;
using System.Net.Http.Json;
using Navarch.ApiServer.Join;
using Navarch.Storage;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// <c>PUT /v1-navarch/token</c>, the server side of <c>navarch token rotate</c>, on a real API server over SQLite: only the
/// current server token may ask, the new one is checked, and a rotation re-encrypts the bootstrap data under the new
/// token, deletes the old copy, rewrites <c>server/token</c> and refuses the old token from then on.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TokenRotationEndpointTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private string ServerDir => Path.Combine(_host.DataDir, "server");

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, Func<HttpContent>? body = null)
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: false);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body?.Invoke() };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private static Func<HttpContent> Json(TokenRotateRequest request) => () => JsonContent.Create(request);

    [Fact]
    public async Task Only_the_server_token_rotates_and_a_bad_new_token_is_a_400_that_changes_nothing()
    {
        string old = (await File.ReadAllTextAsync(Path.Combine(ServerDir, "token"))).Trim();
        using (HttpResponseMessage wrong = await SendAsync(HttpMethod.Put, JoinProtocol.TokenPath, "server:wrong", Json(new TokenRotateRequest { NewToken = "x" })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        foreach ((Func<HttpContent> body, string message) in new (Func<HttpContent>, string)[]
        {
            (Json(new TokenRotateRequest { NewToken = "abcdef.0123456789abcdef" }), "invalid new token: it is a bootstrap token"),
            (Json(new TokenRotateRequest { NewToken = $"K10{new string('b', 64)}::server:x" }), "invalid new token: it carries the hash of another cluster CA"),
            (() => new StringContent("{not json"), "the body is not a token rotation request"),
            (() => new StringContent(new string(' ', 5000)), "a token rotation request is at most 4096 bytes"),
        })
        {
            using HttpResponseMessage bad = await SendAsync(HttpMethod.Put, JoinProtocol.TokenPath, old, body);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains(message, await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(old, (await File.ReadAllTextAsync(Path.Combine(ServerDir, "token"))).Trim());
        Assert.Null(await _host.Server.Store.GetAsync(BootstrapData.KeyFor(old)));
    }

    [Fact]
    public async Task A_rotation_re_encrypts_the_bootstrap_data_and_puts_the_new_token_in_force()
    {
        IStore store = _host.Server.Store;
        string old = (await File.ReadAllTextAsync(Path.Combine(ServerDir, "token"))).Trim();
        await BootstrapData.SaveAsync(store, ServerDir, old, CancellationToken.None);

        // No new token: a random one, as k3s does; the server's token file has it.
        using (HttpResponseMessage rotated = await SendAsync(HttpMethod.Put, JoinProtocol.TokenPath, old, Json(new TokenRotateRequest())))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        string next = (await File.ReadAllTextAsync(Path.Combine(ServerDir, "token"))).Trim();
        Assert.NotEqual(old, next);
        Assert.Equal(JoinToken.Parse(old).CaHash, JoinToken.Parse(next).CaHash);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ServerDir, "token")));
        Assert.Null(await store.GetAsync(BootstrapData.KeyFor(old)));
        Dictionary<string, string> files = BootstrapData.TryDecrypt((await store.GetAsync(BootstrapData.KeyFor(next)))!.Value, next)!;
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(ServerDir, "tls", "server-ca.key")), files["tls/server-ca.key"]);
        Assert.Null(BootstrapData.TryDecrypt((await store.GetAsync(BootstrapData.KeyFor(next)))!.Value, old));

        // The old token is refused at once; the new one is accepted (this server runs no etcd: 400, not 401).
        using (HttpResponseMessage refused = await SendAsync(HttpMethod.Get, JoinProtocol.ServerBootstrapPath, old))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (HttpResponseMessage accepted = await SendAsync(HttpMethod.Get, JoinProtocol.ServerBootstrapPath, next))
        {
            Assert.Equal(HttpStatusCode.BadRequest, accepted.StatusCode);
        }

        // A server started with the old token finds only the new token's data and is refused, as k3s refuses it.
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => BootstrapData.SaveAsync(store, ServerDir, old, CancellationToken.None));
        Assert.StartsWith("bootstrap data already found and encrypted with different token", e.Message, StringComparison.Ordinal);
        long revision = await store.GetCurrentRevisionAsync();
        await BootstrapData.SaveAsync(store, ServerDir, next, CancellationToken.None);
        Assert.Equal(revision, await store.GetCurrentRevisionAsync());

        // A chosen token, given as server:<secret>, rotates again from the random one.
        using (HttpResponseMessage again = await SendAsync(HttpMethod.Put, JoinProtocol.TokenPath, next, Json(new TokenRotateRequest { NewToken = "server:chosen-secret" })))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal("server:chosen-secret", JoinToken.Parse(await File.ReadAllTextAsync(Path.Combine(ServerDir, "token"))).Credentials);
        Assert.NotNull(BootstrapData.TryDecrypt((await store.GetAsync(BootstrapData.KeyFor("chosen-secret")))!.Value, "chosen-secret"));
        Assert.Null(await store.GetAsync(BootstrapData.KeyFor(next)));
    }
}
