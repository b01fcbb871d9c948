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
/// </list>
/// </summary>
internal sealed partial class JoinEndpoints(ClusterPki pki, ServerToken serverToken, BootstrapTokens bootstrapTokens, TimeProvider time, ILogger logger, Func<IReadOnlyList<string>>? etcdClientUrls = null)
{
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

    private async Task ServeServerBootstrapAsync(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        string token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        // Only the server token: the answer holds the cluster CA's key, which a bootstrap (agent) token must never reach.
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed the {Kind} certificate of node {Node}")]
    private static partial void LogSigned(ILogger logger, string kind, string node);
}
