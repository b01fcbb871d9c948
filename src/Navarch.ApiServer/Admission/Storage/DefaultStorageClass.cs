using k8s.Models;
using Navarch.Api.Storage;

namespace Navarch.ApiServer.Admission.Storage;

/// <summary>
/// Kubernetes' DefaultStorageClass admission: a new claim that names no class (neither spec.storageClassName, even
/// "", nor the beta annotation) gets the default StorageClass — the one annotated
/// storageclass.kubernetes.io/is-default-class=true (or the beta key); with several, the newest (then the first by
/// name), as Kubernetes does since 1.28. Without a default the claim keeps no class, and the PersistentVolume
/// controller's retroactive default may set it later.
/// </summary>
internal sealed class DefaultStorageClass(ObjectLister<V1StorageClass> classes) : IAdmissionPlugin
{
    public string Name => "DefaultStorageClass";

    public bool Mutating => true;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Subresource is not null || request.Object is not V1PersistentVolumeClaim claim
            || DefaultStorageClasses.HasClass(claim))
        {
            return;
        }

        if (DefaultStorageClasses.Default(await classes.ListAsync(null, cancellationToken)) is { } defaultClass)
        {
            claim.Spec ??= new V1PersistentVolumeClaimSpec();
            claim.Spec.StorageClassName = defaultClass.Metadata.Name;
        }
    }
}
