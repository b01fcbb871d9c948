using System.Net;

namespace Navarch.Client.Certificates;

/// <summary>What a <see cref="CertificateManager"/> keeps: where, for which signer, with which names.</summary>
public sealed class CertificateManagerOptions
{
    /// <summary>The folder of the PEM pair.</summary>
    public required string Directory { get; init; }

    /// <summary>The pair's file name without extension (<c>client-kubelet</c>, <c>serving-kubelet</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The CSR's <c>spec.signerName</c>.</summary>
    public required string SignerName { get; init; }

    /// <summary>The CSR's <c>spec.usages</c>.</summary>
    public required IReadOnlyList<string> Usages { get; init; }

    /// <summary>The subject asked for (<c>CN=system:node:&lt;name&gt;, O=system:nodes</c>).</summary>
    public required string Subject { get; init; }

    /// <summary>The DNS names and addresses asked for, read at each request (a serving certificate follows the node's addresses).</summary>
    public Func<(IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> Addresses)>? SubjectAlternativeNames { get; init; }

    /// <summary>Called after a new certificate is stored (to rewrite what embeds it, such as a kubeconfig).</summary>
    public Func<System.Security.Cryptography.X509Certificates.X509Certificate2, CancellationToken, Task>? Changed { get; init; }

    /// <summary>How long to wait between attempts when a request is denied, fails, or is not signed in time.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long to wait for a request to be signed.</summary>
    public TimeSpan SigningTimeout { get; init; } = TimeSpan.FromMinutes(15);
}
