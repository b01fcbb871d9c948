using System.Net;
using System.Net.Http.Headers;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>Bearer tokens from a Kubernetes static token file, beside client certificates.</summary>
[Trait("Category", "Integration")]
public sealed class AuthTests : IDisposable
{
    private readonly string _tokens = Path.GetTempFileName();

    [Fact]
    public async Task A_token_from_the_token_file_authenticates_and_a_wrong_one_gets_401()
    {
        await File.WriteAllTextAsync(_tokens, "# token,user,uid,groups\ns3cr3t-token,alice,1001,\"dev,ops\"\n");
        await using ApiServerHost host = await ApiServerHost.StartAsync(tokenAuthFile: _tokens);
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && host.Server.Pki.IsSignedByCa(cert) };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{host.Server.Port}") };

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cr3t-token");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cr3t-tokeN");
        HttpResponseMessage denied = await http.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Contains("\"reason\":\"Unauthorized\"", await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(_tokens);
}
