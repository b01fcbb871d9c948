using System.Security.Cryptography;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' ServiceAccount admission for new pods (the account itself defaults to "default" in the pod strategy):
/// a pod that names no imagePullSecrets gets its account's, and — when <paramref name="mountTokens"/> (the server
/// runs RBAC, so a token grants only what is bound to the account) — the <c>kube-api-access-*</c> projected volume
/// (a pod-bound token, the cluster CA from <c>kube-root-ca.crt</c>, the namespace) mounted read-only at
/// <c>/var/run/secrets/kubernetes.io/serviceaccount</c> in every container, unless the pod or its account sets
/// automountServiceAccountToken to false. A pod whose account does not exist yet is let through unchanged rather
/// than refused, since the service account controller creates "default" shortly after its namespace.
/// </summary>
internal sealed class ServiceAccountAdmission(IStore store, ResourceCatalog catalog, bool mountTokens) : IAdmissionPlugin
{
    /// <summary>Where the token, ca.crt and namespace files appear in containers.</summary>
    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    private const string VolumePrefix = "kube-api-access-";

    // The alphabet of Kubernetes' random name suffixes (no vowels, no look-alike digits).
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public string Name => "ServiceAccount";

    public bool Mutating => true;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Object is not V1Pod { Spec: { } spec } pod || request.Namespace is null
            || string.IsNullOrEmpty(spec.ServiceAccountName) || pod.Metadata.Annotations?.ContainsKey("kubernetes.io/config.mirror") == true)
        {
            return;
        }

        if (await ObjectCodec.ReadAsync(store, catalog.Find("", "v1", "serviceaccounts")!, request.Namespace, spec.ServiceAccountName, cancellationToken) is not V1ServiceAccount account)
        {
            return;
        }

        if (spec.ImagePullSecrets is not { Count: > 0 } && account.ImagePullSecrets is { Count: > 0 } secrets)
        {
            spec.ImagePullSecrets = secrets.Select(s => new V1LocalObjectReference { Name = s.Name }).ToList();
        }

        bool automount = spec.AutomountServiceAccountToken ?? account.AutomountServiceAccountToken ?? true;
        if (mountTokens && automount)
        {
            MountToken(spec);
        }
    }

    private static void MountToken(V1PodSpec spec)
    {
        List<V1Container> containers = [.. spec.InitContainers ?? [], .. spec.Containers ?? []];
        if (spec.Volumes?.Any(v => v.Name.StartsWith(VolumePrefix, StringComparison.Ordinal)) == true
            || containers.All(c => c.VolumeMounts?.Any(m => m.MountPath == MountPath) == true))
        {
            return;
        }

        string name = VolumePrefix + new string(RandomNumberGenerator.GetItems<char>(SuffixAlphabet, 5));
        spec.Volumes ??= [];
        spec.Volumes.Add(new V1Volume
        {
            Name = name,
            Projected = new V1ProjectedVolumeSource
            {
                DefaultMode = 420,
                Sources =
                [
                    new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { ExpirationSeconds = 3607, Path = "token" } },
                    new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "kube-root-ca.crt", Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } },
                    new V1VolumeProjection
                    {
                        DownwardAPI = new V1DownwardAPIProjection
                        {
                            Items = [new V1DownwardAPIVolumeFile { Path = "namespace", FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } }],
                        },
                    },
                ],
            },
        });
        foreach (V1Container container in containers.Where(c => c.VolumeMounts?.Any(m => m.MountPath == MountPath) != true))
        {
            container.VolumeMounts ??= [];
            container.VolumeMounts.Add(new V1VolumeMount { Name = name, MountPath = MountPath, ReadOnlyProperty = true });
        }
    }
}
