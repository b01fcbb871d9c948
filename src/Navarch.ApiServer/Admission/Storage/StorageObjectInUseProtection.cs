using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Admission.Storage;

/// <summary>
/// Kubernetes' StorageObjectInUseProtection admission: every new PersistentVolume gets the kubernetes.io/pv-protection
/// finalizer and every new claim kubernetes.io/pvc-protection, so neither disappears while in use; the pv-protection
/// and pvc-protection controllers take them off once the volume is unbound / no pod uses the claim.
/// </summary>
internal sealed class StorageObjectInUseProtection : IAdmissionPlugin
{
    /// <summary>The PersistentVolume finalizer.</summary>
    public const string PvProtection = "kubernetes.io/pv-protection";

    /// <summary>The PersistentVolumeClaim finalizer.</summary>
    public const string PvcProtection = "kubernetes.io/pvc-protection";

    public string Name => "StorageObjectInUseProtection";

    public bool Mutating => true;

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Subresource is not null)
        {
            return ValueTask.CompletedTask;
        }

        string? finalizer = request.Object switch
        {
            V1PersistentVolume => PvProtection,
            V1PersistentVolumeClaim => PvcProtection,
            _ => null,
        };
        if (finalizer is not null && request.Object is IKubernetesObject<V1ObjectMeta> obj && obj.Metadata.Finalizers?.Contains(finalizer) != true)
        {
            obj.Metadata.Finalizers ??= [];
            obj.Metadata.Finalizers.Add(finalizer);
        }

        return ValueTask.CompletedTask;
    }
}
