using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Certificates;

namespace Navarch.ApiServer.Registry.Certificates;

/// <summary>
/// The REST storage of certificatesigningrequests (pkg/registry/certificates/certificates/storage): the generic
/// store, with what a create adds — the requester's name, uid, groups and extra written into the spec from the
/// request's user, whatever the body says (the strategy's PrepareForCreate), and the CertificateSubjectRestriction
/// admission plugin: no <c>kubernetes.io/kube-apiserver-client</c> request for the <c>system:masters</c> group,
/// which would make whoever approves it a cluster administrator's issuer.
/// </summary>
internal sealed class CertificateSigningRequestRest(GenericStore store) : IRestGetter, IRestCreater, IRestUpdater, IRestPatcher
{
    private const string Masters = "system:masters";

    public Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken) => ((IRestGetter)store).GetAsync(request, cancellationToken);

    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        var csr = (V1CertificateSigningRequest)request.Decode(store.Definition, body);
        csr.Metadata ??= new V1ObjectMeta();
        csr.Metadata.NamespaceProperty = null;
        csr.Spec ??= new V1CertificateSigningRequestSpec();
        csr.Spec.Username = request.User.Name;
        csr.Spec.Uid = request.User.Uid.Length == 0 ? null : request.User.Uid;
        csr.Spec.Groups = [.. request.User.Groups];
        csr.Spec.Extra = request.User.Extra is { Count: > 0 } extra ? extra.ToDictionary(e => e.Key, e => (IList<string>)[.. e.Value]) : null;
        if (csr.Spec.SignerName == Signers.KubeApiServerClient && RequestsMasters(csr))
        {
            throw ApiErrors.Forbidden(store.Definition.GroupResource, csr.Metadata.Name ?? "", $"use of {Signers.KubeApiServerClient} signer with {Masters} group is not allowed");
        }

        return await store.CreateAsync(csr, request.Info.Options.DryRun, cancellationToken);
    }

    public Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) => ((IRestUpdater)store).UpdateAsync(request, body, cancellationToken);

    public Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken) => ((IRestPatcher)store).PatchAsync(request, patch, cancellationToken);

    /// <summary>A request that does not parse is left to validation, which refuses it with its own message.</summary>
    private static bool RequestsMasters(V1CertificateSigningRequest csr)
    {
        try
        {
            return CertificateRequests.Parse(csr.Spec.Request).Organizations.Contains(Masters, StringComparer.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
