using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// The server side of <c>navarch secrets-encrypt</c> (k3s's <c>/v1-k3s/encrypt/status</c> and <c>/encrypt/config</c>):
/// <c>GET /v1-navarch/encrypt/status</c> returns the <see cref="EncryptionStatus"/>, <c>PUT /v1-navarch/encrypt/config</c>
/// carries out an <see cref="EncryptionRequest"/>. They are non-resource URLs behind authentication and authorization
/// (verbs get and put), so only an administrator (system:masters, or a role granting them) reaches them.
/// </summary>
internal sealed class EncryptionEndpoints(SecretsEncryption encryption)
{
    /// <summary>The status path.</summary>
    public const string StatusPath = "/v1-navarch/encrypt/status";

    /// <summary>The command path.</summary>
    public const string ConfigPath = "/v1-navarch/encrypt/config";

    /// <summary>Serves the request when it is for one of the paths; false otherwise.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        if (path is not (StatusPath or ConfigPath))
        {
            return false;
        }

        if (path == StatusPath && HttpMethods.IsGet(context.Request.Method))
        {
            await WriteAsync(context, encryption.Status());
            return true;
        }

        if (path == ConfigPath && HttpMethods.IsPut(context.Request.Method))
        {
            EncryptionRequest? request;
            try
            {
                request = await JsonSerializer.DeserializeAsync<EncryptionRequest>(context.Request.Body, cancellationToken: context.RequestAborted);
            }
            catch (JsonException e)
            {
                throw ApiErrors.BadRequest($"the body is not an encryption request: {e.Message}");
            }

            await WriteAsync(context, await encryption.ApplyAsync(request is { Stage: not null } ? request : throw ApiErrors.BadRequest("the body names no stage"), context.RequestAborted));
            return true;
        }

        throw new StatusException(new k8s.Models.V1Status { Kind = "Status", ApiVersion = "v1", Status = "Failure", Code = 405, Reason = "MethodNotAllowed", Message = $"the server does not allow {context.Request.Method} on {path}" });
    }

    private static Task WriteAsync(HttpContext context, EncryptionStatus status)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, status, cancellationToken: context.RequestAborted);
    }
}
