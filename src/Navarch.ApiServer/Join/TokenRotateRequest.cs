using System.Text.Json.Serialization;

namespace Navarch.ApiServer.Join;

/// <summary>The body of <c>PUT /v1-navarch/token</c> (k3s's <c>TokenRotateRequest</c>): the new server token, or none for a random one.</summary>
public sealed class TokenRotateRequest
{
    /// <summary>The new server token: a bare secret, <c>server:&lt;secret&gt;</c> or a full K10 token of this cluster's CA.</summary>
    [JsonPropertyName("newToken")]
    public string? NewToken { get; init; }
}
