using System.Security.Cryptography;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.ServiceAccounts;

/// <summary>
/// Service account tokens as kube-apiserver makes and checks them: the TokenRequest API
/// (<c>serviceaccounts/token</c>) issues ES256 JWTs — issuer and default audience
/// <see cref="Issuer"/>, subject <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>, the <c>kubernetes.io</c> claim
/// naming the account and the object the token is bound to — and the authenticator accepts a token only while its
/// signature, audience and lifetime hold and its account (and bound pod or secret) still exists with the same uid.
/// </summary>
internal sealed class ServiceAccountTokens
{
    /// <summary>The issuer, and the API server's audience: what k3s and kubeadm clusters use by default.</summary>
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    private const long MinSeconds = 600;
    private const long MaxSeconds = 1L << 32;
    private const long DefaultSeconds = 3600;

    private readonly IStore _store;
    private readonly ResourceCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly ECDsaSecurityKey _key;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public ServiceAccountTokens(ECDsa key, IStore store, ResourceCatalog catalog, TimeProvider time)
    {
        _store = store;
        _catalog = catalog;
        _time = time;
        // As Kubernetes: the key id is the unpadded base64url SHA-256 of the public key's DER form.
        _key = new ECDsaSecurityKey(key) { KeyId = Base64UrlEncoder.Encode(SHA256.HashData(key.ExportSubjectPublicKeyInfo())) };
    }

    /// <summary>Serves a TokenRequest for <paramref name="ns"/>/<paramref name="name"/>: validated, defaulted, signed.</summary>
    public async Task<Authenticationv1TokenRequest> IssueAsync(string ns, string name, Authenticationv1TokenRequest request, CancellationToken cancellationToken)
    {
        V1TokenRequestSpec spec = request.Spec ?? new V1TokenRequestSpec();
        spec.ExpirationSeconds ??= DefaultSeconds;
        spec.Audiences = spec.Audiences is { Count: > 0 } ? spec.Audiences : [Issuer];
        var errors = new List<FieldError>();
        if (spec.ExpirationSeconds < MinSeconds)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.expirationSeconds", spec.ExpirationSeconds, "may not specify a duration less than 10 minutes"));
        }
        else if (spec.ExpirationSeconds > MaxSeconds)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.expirationSeconds", spec.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds"));
        }

        V1BoundObjectReference? bound = spec.BoundObjectRef;
        if (bound is not null && bound.Kind is not ("Pod" or "Secret" or "Node"))
        {
            errors.Add(new FieldError(FieldErrorType.NotSupported, "spec.boundObjectRef.kind", bound.Kind ?? "", "supported values: \"Pod\", \"Secret\", \"Node\""));
        }

        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("TokenRequest", "authentication.k8s.io", name, errors);
        }

        V1ServiceAccount account = await GetAsync<V1ServiceAccount>("serviceaccounts", ns, name, cancellationToken)
            ?? throw ApiErrors.NotFound("serviceaccounts", name);
        var claim = new Dictionary<string, object>
        {
            ["namespace"] = ns,
            ["serviceaccount"] = new Dictionary<string, object> { ["name"] = name, ["uid"] = account.Metadata.Uid },
        };
        if (bound is not null)
        {
            (string resource, string? boundNs) = bound.Kind switch { "Pod" => ("pods", ns), "Secret" => ("secrets", ns), _ => ("nodes", (string?)null) };
            IKubernetesObject<V1ObjectMeta> target = await GetAsync<IKubernetesObject<V1ObjectMeta>>(resource, boundNs, bound.Name ?? "", cancellationToken)
                ?? throw ApiErrors.NotFound(resource, bound.Name ?? "");
            if (!string.IsNullOrEmpty(bound.Uid) && bound.Uid != target.Metadata.Uid)
            {
                throw ApiErrors.Conflict(resource, bound.Name ?? "", $"the UID in the bound object reference ({bound.Uid}) does not match the UID in record. The object might have been deleted and then recreated");
            }

            bound.Uid = target.Metadata.Uid;
            bound.ApiVersion ??= "v1";
            claim[bound.Kind!.ToLowerInvariant()] = new Dictionary<string, object> { ["name"] = target.Metadata.Name, ["uid"] = target.Metadata.Uid };
        }

        DateTime now = _time.GetUtcNow().UtcDateTime;
        DateTime expires = now.AddSeconds(spec.ExpirationSeconds.Value);
        string token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = $"system:serviceaccount:{ns}:{name}",
                ["aud"] = spec.Audiences.ToArray(),
                ["jti"] = Guid.NewGuid().ToString(),
                ["kubernetes.io"] = claim,
            },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.EcdsaSha256),
        });
        return new Authenticationv1TokenRequest
        {
            ApiVersion = "authentication.k8s.io/v1",
            Kind = "TokenRequest",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, CreationTimestamp = now },
            Spec = spec,
            Status = new V1TokenRequestStatus { Token = token, ExpirationTimestamp = expires },
        };
    }

    /// <summary>The service account a bearer token for the API server stands for, or null when it is not a valid token of ours.</summary>
    public async Task<UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        (await AuthenticateAsync(token, [Issuer], cancellationToken).ConfigureAwait(false))?.User;

    /// <summary>
    /// The service account a token stands for if it was issued for one of <paramref name="audiences"/>, and which of
    /// them it carries (what a TokenReview reports); null when it is not a valid token of ours for those audiences.
    /// </summary>
    public async Task<(UserInfo User, IReadOnlyList<string> Audiences)?> AuthenticateAsync(string token, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        if (token.Count(c => c == '.') != 2)
        {
            return null;
        }

        TokenValidationResult result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudiences = audiences,
            IssuerSigningKey = _key,
            ValidateIssuerSigningKey = true,
            // Lifetime is checked below against the server's clock (a TimeProvider), not the library's.
            ValidateLifetime = false,
        }).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        DateTime now = _time.GetUtcNow().UtcDateTime;
        if (now >= jwt.ValidTo || now < jwt.ValidFrom)
        {
            return null;
        }

        using JsonDocument payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        if (!payload.RootElement.TryGetProperty("kubernetes.io", out JsonElement claim)
            || !claim.TryGetProperty("namespace", out JsonElement nsElement)
            || !claim.TryGetProperty("serviceaccount", out JsonElement accountElement))
        {
            return null;
        }

        string ns = nsElement.GetString() ?? "";
        string name = accountElement.GetProperty("name").GetString() ?? "";
        string uid = accountElement.GetProperty("uid").GetString() ?? "";
        V1ServiceAccount? account = await GetAsync<V1ServiceAccount>("serviceaccounts", ns, name, cancellationToken).ConfigureAwait(false);
        if (account?.Metadata.Uid != uid)
        {
            return null;
        }

        foreach ((string kind, string resource) in new[] { ("pod", "pods"), ("secret", "secrets") })
        {
            if (claim.TryGetProperty(kind, out JsonElement boundElement))
            {
                IKubernetesObject<V1ObjectMeta>? bound = await GetAsync<IKubernetesObject<V1ObjectMeta>>(resource, ns, boundElement.GetProperty("name").GetString() ?? "", cancellationToken).ConfigureAwait(false);
                if (bound?.Metadata.Uid != boundElement.GetProperty("uid").GetString() || bound?.Metadata.DeletionTimestamp is { } deleted && deleted < now)
                {
                    return null;
                }
            }
        }

        var user = new UserInfo($"system:serviceaccount:{ns}:{name}", uid, ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);
        return (user, jwt.Audiences.Where(audiences.Contains).Distinct(StringComparer.Ordinal).ToList());
    }

    private async Task<T?> GetAsync<T>(string resource, string? ns, string name, CancellationToken cancellationToken)
        where T : class =>
        await ObjectCodec.ReadAsync(_store, _catalog.Find("", "v1", resource)!, ns, name, cancellationToken).ConfigureAwait(false) as T;
}
