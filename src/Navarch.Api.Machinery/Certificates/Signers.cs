namespace Navarch.Api.Certificates;

/// <summary>The signer names Kubernetes defines for CertificateSigningRequests (certificates.k8s.io/v1).</summary>
public static class Signers
{
    /// <summary>Client certificates for any user of the API server; never auto-approved.</summary>
    public const string KubeApiServerClient = "kubernetes.io/kube-apiserver-client";

    /// <summary>Client certificates of kubelets (<c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>); auto-approved for nodes.</summary>
    public const string KubeApiServerClientKubelet = "kubernetes.io/kube-apiserver-client-kubelet";

    /// <summary>Serving certificates of kubelets' HTTPS API.</summary>
    public const string KubeletServing = "kubernetes.io/kubelet-serving";

    /// <summary>The v1beta1 default, refused by the v1 API.</summary>
    public const string LegacyUnknown = "kubernetes.io/legacy-unknown";
}
