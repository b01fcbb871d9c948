using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Navarch.ApiServer;
using Navarch.ApiServer.Join;
using Navarch.Join;

namespace Navarch.Server.Etcd;

/// <summary>
/// How a server joins another (k3s's server bootstrap): checks the server's CA against the token's hash, fetches the
/// shared secrets with the server token from <c>/v1-navarch/server-bootstrap</c> and writes them under its own
/// <c>&lt;data-dir&gt;/server</c> (0600), so that its API server signs and verifies with the cluster's CA and keys.
/// </summary>
internal static class ServerJoin
{
    /// <summary>Fetches and writes the shared files; returns the etcd client URLs the answering server named.</summary>
    /// <exception cref="JoinException">The token is wrong, the CA does not match, or the server cannot be reached or runs no embedded etcd.</exception>
    public static async Task<IReadOnlyList<string>> BootstrapAsync(string server, string token, string dataDir, CancellationToken cancellationToken)
    {
        server = server.TrimEnd('/');
        JoinToken parsed;
        try
        {
            parsed = JoinToken.Parse(token);
        }
        catch (FormatException e)
        {
            throw new JoinException($"invalid token: {e.Message}", e);
        }

        if (parsed.CaHash is null)
        {
            throw new JoinException("a server joins with the full server token K10<hash>::server:<secret> (from the first server's <data-dir>/server/token)");
        }

        using X509Certificate2 ca = await AgentJoin.FetchVerifiedCaAsync(server, parsed.CaHash, cancellationToken);
        using HttpClient http = AgentJoin.TrustingOnly(ca);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server + JoinProtocol.ServerBootstrapPath));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        ServerBootstrap bootstrap;
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new JoinException($"{server}{JoinProtocol.ServerBootstrapPath} answered {(int)response.StatusCode}: {body}");
            }

            bootstrap = await response.Content.ReadFromJsonAsync<ServerBootstrap>(cancellationToken) ?? throw new JoinException("empty server bootstrap");
        }
        catch (HttpRequestException e)
        {
            throw new JoinException($"cannot reach the server {server}: {e.Message}", e);
        }

        string serverDir = Path.Combine(Path.GetFullPath(dataDir), "server");
        foreach (string name in ServerBootstrap.SharedFiles)
        {
            if (bootstrap.Files.TryGetValue(name, out string? text))
            {
                string path = Path.Combine(serverDir, name);
                PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
                PrivateFiles.Write(path, text);
            }
        }

        return bootstrap.EtcdClientUrls;
    }
}
