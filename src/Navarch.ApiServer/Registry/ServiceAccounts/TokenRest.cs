using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.ServiceAccounts;

namespace Navarch.ApiServer.Registry.ServiceAccounts;

/// <summary>
/// <c>serviceaccounts/{name}/token</c> (pkg/registry/core/serviceaccount/storage TokenREST): a TokenRequest in, the
/// same with its signed token out (201).
/// </summary>
internal sealed class TokenRest(ServiceAccountTokens tokens) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        Authenticationv1TokenRequest tokenRequest = Http.RequestBody.Deserialize<Authenticationv1TokenRequest>(body);
        if (tokenRequest.Kind is { Length: > 0 } kind && kind != "TokenRequest")
        {
            throw ApiErrors.BadRequest($"the body of the request must be a TokenRequest, not {kind}");
        }

        await request.Store.ValidateAdmissionAsync(new Admission.AdmissionRequest(Admission.AdmissionOperation.Create, request.Store.Definition, request.Info.Namespace, request.Name, tokenRequest, null, "token"), cancellationToken);
        Authenticationv1TokenRequest issued = await tokens.IssueAsync(request.Info.Namespace!, request.Name, tokenRequest, cancellationToken);
        // Attribute-driven, as it has always been sent: the TokenRequest is not a stored kind.
        return JsonSerializer.SerializeToNode(issued, KubernetesSerialization.Plain)!;
    }
}
