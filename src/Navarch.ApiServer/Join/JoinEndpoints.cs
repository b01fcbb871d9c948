using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer.Join;

/// <summary>
/// The endpoints a joining agent uses before it has credentials (k3s's supervisor endpoints):
/// <list type="bullet">
/// <item><c>GET /cacerts</c> — the cluster CA bundle, unauthenticated; the agent checks its SHA-256 against the token.</item>
/// <item><c>POST /v1-navarch/client-kubelet</c>, <c>/v1-navarch/serving-kubelet</c> and <c>/v1-navarch/client-kube-proxy</c> — a PEM PKCS#10 request in
/// the body, the node name in the <c>Navarch-Node-Name</c> header, the join token (the server token or a bootstrap
/// token) as <c>Authorization: Bearer</c>; answers the signed certificate (PEM). A wrong or expired token gets 401.</item>
/// <item><c>GET /v1-navarch/server-bootstrap</c> — the server token only: the shared secrets and etcd members a joining
/// server needs (<see cref="ServerBootstrap"/>).</item>
/// <item><c>PUT /v1-navarch/token</c> — the server token only (k3s's <c>/v1-k3s/token</c>): <c>navarch token rotate</c>'s
/// <c>{"newToken": "..."}</c> (empty: a random one) re-encrypts the bootstrap data in <paramref name="store"/> (the raw
/// datastore) under the new token and puts it in force here; the old one is refused from then on.</item>
/// </list>
/// </summary>
internal sealed partial class JoinEndpoints(ClusterPki pki, ServerToken serverToken, BootstrapTokens bootstrapTokens, Navarch.Storage.IStore store, TimeProvider time, ILogger logger, Func<IReadOnlyList<string>>? etcdClientUrls = null)
{
    // A token rotation request is one short JSON field.
    private const int MaxTokenRequestBytes = 4096;

    private readonly byte[] _caBundle = JoinToken.CaBundle(pki.TrustedCas);

    /// <summary>Serves the request when it is one of the join endpoints; false otherwise.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        switch (context.Request.Method, path)
        {
            case ("GET", JoinProtocol.CaCertsPath):
                context.Response.ContentType = "text/plain";
                await context.Response.Body.WriteAsync(_caBundle, context.RequestAborted);
                return true;
            case ("POST", JoinProtocol.ClientKubeletPath):
                await SignAsync(context, "client-kubelet", node => AgentCertificateSigner.NodeSubject(node), serving: false);
                return true;
            case ("POST", JoinProtocol.ServingKubeletPath):
                await SignAsync(context, "serving-kubelet", node => AgentCertificateSigner.NodeSubject(node), serving: true);
                return true;
            case ("POST", JoinProtocol.ClientKubeProxyPath):
                await SignAsync(context, "client-kube-proxy", _ => AgentCertificateSigner.KubeProxySubject, serving: false);
                return true;
            case ("GET", JoinProtocol.ServerBootstrapPath):
                await ServeServerBootstrapAsync(context);
                return true;
            case ("PUT", JoinProtocol.TokenPath):
                await RotateTokenAsync(context);
                return true;
            default:
                return false;
        }
    }

    private async Task SignAsync(HttpContext context, string kind, Func<string, string> subject, bool serving)
    {
        string header = context.Request.Headers.Authorization.ToString();
        string token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        string node = context.Request.Headers[JoinProtocol.NodeNameHeader].ToString();
        if (!await IsValidAsync(token, context.RequestAborted))
        {
            LogRejected(logger, node, context.Connection.RemoteIpAddress?.ToString() ?? "");
            await Responder.WriteStatusAsync(context, ApiErrors.Unauthorized("token rejected").Status);
            return;
        }

        if (!NodeNamePattern().IsMatch(node) || node.Length > 253)
        {
            await Responder.WriteStatusAsync(context, ApiErrors.BadRequest($"{JoinProtocol.NodeNameHeader} must be a DNS subdomain name, got \"{node}\"").Status);
            return;
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.ASCII);
        string csr = await reader.ReadToEndAsync(context.RequestAborted);
        string certificate;
        try
        {
            certificate = AgentCertificateSigner.Sign(pki.Ca, csr, subject(node), node, serving, time.GetUtcNow());
        }
        catch (CryptographicException e)
        {
            await Responder.WriteStatusAsync(context, ApiErrors.BadRequest($"invalid certificate request: {e.Message}").Status);
            return;
        }

        LogSigned(logger, kind, node);
        context.Response.ContentType = "application/x-pem-file";
        await context.Response.WriteAsync(certificate, context.RequestAborted);
    }

    /// <summary>
    /// The server token in the request's bearer header, or null (a 401 written) for anything else: the server-only
    /// endpoints hand out or change the cluster CA's key, which a bootstrap (agent) token must never reach.
    /// </summary>
    private async Task<JoinToken?> AuthenticateServerAsync(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        string token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        JoinToken parsed;
        try
        {
            parsed = JoinToken.Parse(token);
        }
        catch (FormatException)
        {
            parsed = new JoinToken(null, "");
        }

        if (token.Length == 0 || parsed.Bootstrap is not null || (parsed.CaHash is { } hash && hash != serverToken.Token.CaHash) || !serverToken.Matches(parsed.Credentials))
        {
            LogRejected(logger, "(server)", context.Connection.RemoteIpAddress?.ToString() ?? "");
            await Responder.WriteStatusAsync(context, ApiErrors.Unauthorized("token rejected").Status);
            return null;
        }

        return parsed;
    }

    private async Task ServeServerBootstrapAsync(HttpContext context)
    {
        if (await AuthenticateServerAsync(context) is null)
        {
            return;
        }

        IReadOnlyList<string> members = etcdClientUrls?.Invoke() ?? [];
        if (members.Count == 0)
        {
            await Responder.WriteStatusAsync(context, ApiErrors.BadRequest("this server runs no embedded etcd (it was not started with --cluster-init or joined to one): servers cannot join it").Status);
            return;
        }

        var bootstrap = new ServerBootstrap
        {
            Files = ServerBootstrap.ReadFiles(Path.GetDirectoryName(pki.Directory)!),
            EtcdClientUrls = [.. members],
        };
        string remote = context.Connection.RemoteIpAddress?.ToString() ?? "";
        LogServerBootstrap(logger, remote);
        context.Response.ContentType = "application/json";
        await System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, bootstrap, cancellationToken: context.RequestAborted);
    }

    private async Task RotateTokenAsync(HttpContext context)
    {
        if (await AuthenticateServerAsync(context) is null)
        {
            return;
        }

        string? requested;
        try
        {
            byte[] body = new byte[MaxTokenRequestBytes + 1];
            int length = await context.Request.Body.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, context.RequestAborted);
            if (length > MaxTokenRequestBytes)
            {
                await Responder.WriteStatusAsync(context, ApiErrors.BadRequest($"a token rotation request is at most {MaxTokenRequestBytes} bytes").Status);
                return;
            }

            requested = length == 0 ? null : System.Text.Json.JsonSerializer.Deserialize<TokenRotateRequest>(body.AsSpan(0, length))?.NewToken;
        }
        catch (System.Text.Json.JsonException e)
        {
            await Responder.WriteStatusAsync(context, ApiErrors.BadRequest($"the body is not a token rotation request {{\"newToken\": \"...\"}}: {e.Message}").Status);
            return;
        }

        string secret;
        try
        {
            JoinToken next = JoinToken.Parse(string.IsNullOrWhiteSpace(requested) ? ServerToken.NewSecret() : requested);
            secret = ServerToken.SecretOf(next.Credentials);
            if (next.Bootstrap is not null || secret.Length == 0 || (next.CaHash is { } hash && hash != serverToken.Token.CaHash))
            {
                throw new FormatException(next.Bootstrap is not null ? "it is a bootstrap token (id.secret): the server token is a secret of its own" : secret.Length == 0 ? "its secret is empty" : "it carries the hash of another cluster CA");
            }
        }
        catch (FormatException e)
        {
            await Responder.WriteStatusAsync(context, ApiErrors.BadRequest($"invalid new token: {e.Message}").Status);
            return;
        }

        string old = serverToken.Token.ToString();
        await BootstrapData.RotateAsync(store, Path.GetDirectoryName(pki.Directory)!, old, secret, context.RequestAborted);
        serverToken.Rotate(secret);
        LogTokenRotated(logger, context.Connection.RemoteIpAddress?.ToString() ?? "");
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task<bool> IsValidAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length == 0)
        {
            return false;
        }

        JoinToken parsed;
        try
        {
            parsed = JoinToken.Parse(token);
        }
        catch (FormatException)
        {
            return false;
        }

        if (parsed.CaHash is { } hash && hash != serverToken.Token.CaHash)
        {
            return false;
        }

        return parsed.Bootstrap is null
            ? serverToken.Matches(parsed.Credentials)
            : await bootstrapTokens.AuthenticateAsync(parsed.Credentials, cancellationToken) is not null;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex NodeNamePattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Join of node {Node} from {Remote} refused: token rejected")]
    private static partial void LogRejected(ILogger logger, string node, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent the server bootstrap (cluster CA, service account key, etcd members) to {Remote}")]
    private static partial void LogServerBootstrap(ILogger logger, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server token rotated at the request of {Remote}: the bootstrap data is encrypted with the new token; restart the other servers with it")]
    private static partial void LogTokenRotated(ILogger logger, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed the {Kind} certificate of node {Node}")]
    private static partial void LogSigned(ILogger logger, string kind, string node);
}
