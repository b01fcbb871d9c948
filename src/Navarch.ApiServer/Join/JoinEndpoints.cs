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
/// </list>
/// </summary>
internal sealed partial class JoinEndpoints(ClusterPki pki, ServerToken serverToken, BootstrapTokens bootstrapTokens, TimeProvider time, ILogger logger)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed the {Kind} certificate of node {Node}")]
    private static partial void LogSigned(ILogger logger, string kind, string node);
}
