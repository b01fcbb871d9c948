using Navarch.ApiServer.Admission;

namespace Navarch.ApiServer.Registry;

internal sealed partial class GenericStore
{
    /// <summary>
    /// Runs the validating admission plugins on a write a subresource makes without storing an object of its own (a
    /// TokenRequest on <c>serviceaccounts/token</c>), as kube-apiserver's create handler does for every POST.
    /// </summary>
    public ValueTask ValidateAdmissionAsync(AdmissionRequest request, CancellationToken cancellationToken) =>
        admission.ValidateAsync(request, cancellationToken);
}
