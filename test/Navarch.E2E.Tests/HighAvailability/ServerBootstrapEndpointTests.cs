using System.Net;
using System.Text.Json;

namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// <c>/v1-navarch/server-bootstrap</c> hands the cluster CA's key to joining servers: only with the server token, and
/// only from a server that runs an embedded etcd (a SQLite server here).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ServerBootstrapEndpointTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private string ServerUrl => File.ReadAllLines(server.Kubeconfig).Select(l => l.Trim()).First(l => l.StartsWith("server: ", StringComparison.Ordinal))["server: ".Length..];

    private string ServerToken => File.ReadAllText(Path.Combine(server.DataDir, "server", "token")).Trim();

    [Fact]
    public async Task Only_the_server_token_gets_an_answer_and_a_sqlite_server_has_no_etcd_to_join()
    {
        string hash = ServerToken[3..67];
        foreach (string wrong in new[] { "", $"K10{hash}::server:0000", $"K10{hash}::abcdef.0123456789abcdef", "abcdef.0123456789abcdef" })
        {
            (HttpStatusCode code, string body) = await GetAsync(wrong);
            Assert.True(code == HttpStatusCode.Unauthorized, $"{wrong}: {code} {body}");
            Assert.Equal("Status", JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString());
        }

        (HttpStatusCode status, string answer) = await GetAsync(ServerToken);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("runs no embedded etcd", JsonDocument.Parse(answer).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Code, string Body)> GetAsync(string token)
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServerUrl + "/v1-navarch/server-bootstrap"));
        if (token.Length > 0)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
