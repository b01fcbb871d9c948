using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.Certificates;

/// <summary>
/// plugin/pkg/admission/certificates' IsAuthorizedForSignerName: a verb (<c>approve</c>,
/// <c>sign</c>) on the synthetic <c>signers</c> resource of certificates.k8s.io named after the signer, or after its
/// domain with <c>/*</c> (<c>kubernetes.io/*</c>).
/// </summary>
internal sealed class SignerAuthorization(IAuthorizer authorizer)
{
    private const string Group = "certificates.k8s.io";

    /// <summary>True when <paramref name="user"/> may <paramref name="verb"/> requests for <paramref name="signerName"/>.</summary>
    public async Task<bool> IsAuthorizedAsync(UserInfo user, string verb, string signerName, CancellationToken cancellationToken)
    {
        if (await authorizer.AuthorizeAsync(new RequestAttributes(user, verb, Group, "signers", null, null, signerName), cancellationToken) is null)
        {
            return true;
        }

        string domain = signerName.Split('/')[0];
        return await authorizer.AuthorizeAsync(new RequestAttributes(user, verb, Group, "signers", null, null, domain + "/*"), cancellationToken) is null;
    }
}
