using k8s.Models;
using Navarch.Api;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;

namespace Navarch.ApiServer.Admission.Storage;

/// <summary>
/// Kubernetes' PersistentVolumeClaimResize admission: a claim's storage request may grow only once it is Bound, and
/// only when its StorageClass (unchanged) sets allowVolumeExpansion: true; else 403.
/// </summary>
internal sealed class PersistentVolumeClaimResize(ObjectLister<V1StorageClass> classes) : IAdmissionPlugin
{
    public string Name => "PersistentVolumeClaimResize";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Update || request.Subresource is not null
            || request.Object is not V1PersistentVolumeClaim claim || request.OldObject is not V1PersistentVolumeClaim old
            || Storage(claim) <= Storage(old))
        {
            return;
        }

        if (old.Status?.Phase != "Bound")
        {
            throw Forbidden(request, "Only bound persistent volume claims can be expanded");
        }

        string className = StorageAnnotations.ClaimClass(claim);
        if (className.Length == 0 || className != StorageAnnotations.ClaimClass(old)
            || await classes.GetAsync(null, className, cancellationToken) is not { AllowVolumeExpansion: true })
        {
            throw Forbidden(request, "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize");
        }
    }

    private static Quantity Storage(V1PersistentVolumeClaim claim) =>
        claim.Spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? q) == true ? q.ToQuantity() : Quantity.Zero;

    private static StatusException Forbidden(AdmissionRequest request, string reason) =>
        ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, reason);
}
