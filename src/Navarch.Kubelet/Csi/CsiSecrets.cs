using System.Text;
using k8s;
using k8s.Models;

namespace Navarch.Kubelet.Csi;

/// <summary>The data of a Secret a CSI call carries (the sidecars' and the kubelet's getCredentials), as strings.</summary>
internal static class CsiSecrets
{
    /// <summary>The secret's data, or none without a reference; an error from the API server propagates.</summary>
    public static async Task<Dictionary<string, string>> ReadAsync(IKubernetes client, V1SecretReference? reference, CancellationToken cancellationToken)
    {
        if (reference?.Name is not { Length: > 0 } name)
        {
            return [];
        }

        V1Secret secret = await client.CoreV1.ReadNamespacedSecretAsync(name, reference.NamespaceProperty ?? "default", cancellationToken: cancellationToken).ConfigureAwait(false);
        return (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value), StringComparer.Ordinal);
    }
}
