using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Certificates;

/// <summary>
/// <c>certificatesigningrequests/{name}/status</c> and <c>/approval</c> (pkg/registry/certificates/certificates/storage
/// StatusREST and ApprovalREST): GET shows the request; PUT and PATCH write it through the store's GuaranteedUpdate
/// with the subresource's strategy and, as Kubernetes' CertificateSigning and CertificateApproval admission plugins
/// do, the writer's permission on the signer of the stored request — refused with their message
/// (<c>user not permitted to approve requests with signerName "x"</c>). Conditions get their timestamps here.
/// </summary>
internal sealed class CsrSubresourceRest(CsrSubresource subresource, SignerAuthorization signers) : IRestGetter, IRestUpdater, IRestPatcher
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken) =>
        await request.Store.GetAsync(request.Info.Namespace, request.Name, cancellationToken);

    public Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) =>
        request.Store.ReplaceAsync(request, body, UpdateKind.Subresource, cancellationToken, Check(request));

    public Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken) =>
        request.Store.PatchAsync(request, patch, UpdateKind.Subresource, cancellationToken, Check(request));

    /// <summary>
    /// Run on each attempt with the object about to be written (a fresh one each time, never the stored one): it is
    /// prepared, the signer permission checked against the stored request, and validated.
    /// </summary>
    private UpdatedObjectCheck Check(RestRequest request) => async (obj, old, cancellationToken) =>
    {
        var csr = (V1CertificateSigningRequest)obj;
        var stored = (V1CertificateSigningRequest)old;
        subresource.Prepare(csr, stored);
        StampConditions(csr, stored, request.Store.Now);
        string verb = subresource.Verb(csr, stored) ?? "";
        string signer = stored.Spec?.SignerName ?? "";
        if (verb.Length > 0 && !await signers.IsAuthorizedAsync(request.User, verb, signer, cancellationToken))
        {
            throw ApiErrors.Forbidden(request.Store.Definition.GroupResource, request.Name, $"user not permitted to {verb} requests with signerName \"{signer}\"");
        }

        IReadOnlyList<FieldError> errors = subresource.Validate(csr, stored);
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(request.Store.Definition.Kind, request.Store.Definition.Group, request.Name, errors);
        }
    };

    /// <summary>populateConditionTimestamps: lastUpdateTime now when unset; lastTransitionTime kept from the same type and status, else now.</summary>
    private static void StampConditions(V1CertificateSigningRequest csr, V1CertificateSigningRequest old, DateTimeOffset now)
    {
        DateTime second = new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        foreach (V1CertificateSigningRequestCondition condition in csr.Status?.Conditions ?? [])
        {
            condition.LastUpdateTime ??= second;
            condition.LastTransitionTime ??= old.Status?.Conditions?
                .FirstOrDefault(c => c.Type == condition.Type && c.Status == condition.Status && c.LastTransitionTime is not null)?.LastTransitionTime ?? second;
        }
    }
}
