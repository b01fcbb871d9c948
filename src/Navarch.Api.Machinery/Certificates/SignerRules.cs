namespace Navarch.Api.Certificates;

/// <summary>
/// What each Kubernetes signer accepts (pkg/apis/certificates/helpers.go's ValidateKubeletClientCSR and
/// ValidateKubeletServingCSR, and the signer's validAPIServerClientUsages): null when the request is one the signer
/// issues, else Kubernetes' reason. The approver recognises node requests with the same rules.
/// </summary>
public static class SignerRules
{
    private const string NodesGroup = "system:nodes";
    private const string NodePrefix = "system:node:";

    private static readonly string[] KubeletClientUsages = [KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment, KeyUsages.ClientAuth];
    private static readonly string[] KubeletClientUsagesNoRsa = [KeyUsages.DigitalSignature, KeyUsages.ClientAuth];
    private static readonly string[] KubeletServingUsages = [KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment, KeyUsages.ServerAuth];
    private static readonly string[] KubeletServingUsagesNoRsa = [KeyUsages.DigitalSignature, KeyUsages.ServerAuth];

    /// <summary>The rule of <paramref name="signerName"/>, or null for a signer Navarch does not sign for.</summary>
    public static Func<CertificateRequests, IReadOnlyCollection<string>, string?>? For(string? signerName) => signerName switch
    {
        Signers.KubeApiServerClient => KubeApiServerClient,
        Signers.KubeApiServerClientKubelet => KubeletClient,
        Signers.KubeletServing => KubeletServing,
        _ => null,
    };

    /// <summary>A kubelet's client certificate: <c>O=system:nodes</c>, <c>CN=system:node:...</c>, no SANs, client usages.</summary>
    public static string? KubeletClient(CertificateRequests request, IReadOnlyCollection<string> usages)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Organizations is not [NodesGroup])
        {
            return "subject organization is not system:nodes";
        }

        if (request.DnsNames.Count > 0)
        {
            return "DNS subjectAltNames are not allowed";
        }

        if (request.EmailAddresses > 0)
        {
            return "Email subjectAltNames are not allowed";
        }

        if (request.IpAddresses.Count > 0)
        {
            return "IP subjectAltNames are not allowed";
        }

        if (request.Uris > 0)
        {
            return "URI subjectAltNames are not allowed";
        }

        if (!request.CommonName.StartsWith(NodePrefix, StringComparison.Ordinal))
        {
            return "subject common name does not begin with system:node:";
        }

        return SameSet(usages, KubeletClientUsages) || SameSet(usages, KubeletClientUsagesNoRsa) ? null : UsagesDidNotMatch(KubeletClientUsages);
    }

    /// <summary>A kubelet's serving certificate: <c>O=system:nodes</c>, DNS or IP SANs only, serving usages, <c>CN=system:node:...</c>.</summary>
    public static string? KubeletServing(CertificateRequests request, IReadOnlyCollection<string> usages)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Organizations is not [NodesGroup])
        {
            return "subject organization is not system:nodes";
        }

        if (request.DnsNames.Count == 0 && request.IpAddresses.Count == 0)
        {
            return "DNS or IP subjectAltName is required";
        }

        if (request.EmailAddresses > 0)
        {
            return "Email subjectAltNames are not allowed";
        }

        if (request.Uris > 0)
        {
            return "URI subjectAltNames are not allowed";
        }

        if (!SameSet(usages, KubeletServingUsages) && !SameSet(usages, KubeletServingUsagesNoRsa))
        {
            return UsagesDidNotMatch(KubeletServingUsages);
        }

        return request.CommonName.StartsWith(NodePrefix, StringComparison.Ordinal) ? null : "subject common name does not begin with system:node:";
    }

    /// <summary>A client certificate for the API server: client auth required, digital signature and key encipherment allowed.</summary>
    public static string? KubeApiServerClient(CertificateRequests request, IReadOnlyCollection<string> usages)
    {
        ArgumentNullException.ThrowIfNull(usages);
        foreach (string usage in usages)
        {
            if (usage is not (KeyUsages.DigitalSignature or KeyUsages.KeyEncipherment or KeyUsages.ClientAuth))
            {
                return "invalid usage for client certificate: " + usage;
            }
        }

        return usages.Contains(KeyUsages.ClientAuth) ? null : "missing required usage for client certificate: " + KeyUsages.ClientAuth;
    }

    /// <summary>The node a request's common name names (<c>system:node:&lt;name&gt;</c>), or null.</summary>
    public static string? NodeName(string commonName) =>
        commonName.StartsWith(NodePrefix, StringComparison.Ordinal) && commonName.Length > NodePrefix.Length ? commonName[NodePrefix.Length..] : null;

    private static bool SameSet(IReadOnlyCollection<string> usages, string[] expected) => usages.ToHashSet(StringComparer.Ordinal).SetEquals(expected);

    // Go prints a sorted sets.String.List() with %v: [client auth digital signature key encipherment].
    private static string UsagesDidNotMatch(string[] usages) => $"usages did not match [{string.Join(" ", usages.Order(StringComparer.Ordinal))}]";
}
