using System.Net;
using k8s;
using k8s.Models;
using Navarch.Api.Certificates;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's csrapproving controller (pkg/controller/certificates/approver/sarapprove.go): approves a
/// pending <c>kubernetes.io/kube-apiserver-client-kubelet</c> request that is a kubelet's client certificate
/// (<c>O=system:nodes</c>, <c>CN=system:node:&lt;name&gt;</c>, no SANs, client usages) when a SubjectAccessReview says its
/// requester may create <c>certificatesigningrequests/selfnodeclient</c> (asking for its own name) or
/// <c>/nodeclient</c> (any node's). Beyond Kubernetes, and as kubelet-csr-approver does, it approves a
/// <c>kubernetes.io/kubelet-serving</c> request when its requester is the node it names (in <c>system:nodes</c>) and
/// its DNS names and IP addresses are among that Node's own addresses: so a kubelet renews its serving certificate
/// through the API like its client one, and only for what the cluster already knows the node as. Anything else stays
/// pending for a person (<c>kubectl certificate approve</c>).
/// </summary>
public sealed class CsrApprovingController : CertificateController
{
    private readonly Informer<V1Node> _nodes;

    /// <summary>Creates the controller over the shared CSR and Node informers.</summary>
    public CsrApprovingController(ControllerContext context)
        : base("csrapproving", context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _nodes = context.Informers.Get<V1Node>();
    }

    /// <inheritdoc />
    protected override async Task HandleAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken)
    {
        if (CsrConditions.Has(csr, CsrConditions.Approved) || CsrConditions.Has(csr, CsrConditions.Denied))
        {
            return;
        }

        CertificateRequests request;
        try
        {
            request = CertificateRequests.Parse(csr.Spec.Request);
        }
        catch (FormatException e)
        {
            Log.Unparseable(Logger, csr.Metadata.Name, e.Message);
            return;
        }

        IReadOnlyCollection<string> usages = [.. csr.Spec.Usages ?? []];
        string? message = csr.Spec.SignerName switch
        {
            Signers.KubeApiServerClientKubelet when SignerRules.KubeletClient(request, usages) is null =>
                csr.Spec.Username == request.CommonName && await AllowedAsync(csr, "selfnodeclient", cancellationToken).ConfigureAwait(false)
                    ? "Auto approving self kubelet client certificate after SubjectAccessReview."
                    : await AllowedAsync(csr, "nodeclient", cancellationToken).ConfigureAwait(false) ? "Auto approving kubelet client certificate after SubjectAccessReview." : null,
            Signers.KubeletServing when SignerRules.KubeletServing(request, usages) is null && IsOwnServingRequest(csr, request) =>
                "Auto approving kubelet serving certificate: the requesting node's own names and addresses.",
            _ => null,
        };
        if (message is null)
        {
            return;
        }

        csr.Status ??= new V1CertificateSigningRequestStatus();
        csr.Status.Conditions ??= [];
        csr.Status.Conditions.Add(new V1CertificateSigningRequestCondition { Type = CsrConditions.Approved, Status = "True", Reason = "AutoApproved", Message = message });
        try
        {
            await Client.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, csr.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Approved(Logger, csr.Metadata.Name, csr.Spec.SignerName ?? "", csr.Spec.Username ?? "");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>What the SubjectAccessReview answers for the requester creating <c>certificatesigningrequests/<paramref name="subresource"/></c>.</summary>
    private async Task<bool> AllowedAsync(V1CertificateSigningRequest csr, string subresource, CancellationToken cancellationToken)
    {
        V1SubjectAccessReview review = await Client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            Spec = new V1SubjectAccessReviewSpec
            {
                User = csr.Spec.Username,
                Uid = csr.Spec.Uid,
                Groups = csr.Spec.Groups,
                Extra = csr.Spec.Extra,
                ResourceAttributes = new V1ResourceAttributes { Group = "certificates.k8s.io", Resource = "certificatesigningrequests", Verb = "create", Subresource = subresource },
            },
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return review.Status?.Allowed == true;
    }

    /// <summary>The requester is the node the request names, and asks only for that Node's own names and addresses.</summary>
    private bool IsOwnServingRequest(V1CertificateSigningRequest csr, CertificateRequests request)
    {
        if (csr.Spec.Username != request.CommonName || csr.Spec.Groups?.Contains("system:nodes") != true
            || SignerRules.NodeName(request.CommonName) is not { } nodeName || _nodes.Store.Get(nodeName) is not { } node)
        {
            return false;
        }

        IList<V1NodeAddress> addresses = node.Status?.Addresses ?? [];
        var names = new HashSet<string>(addresses.Where(a => a.Type is "Hostname" or "InternalDNS" or "ExternalDNS").Select(a => a.Address), StringComparer.OrdinalIgnoreCase) { nodeName };
        var ips = addresses.Where(a => a.Type is "InternalIP" or "ExternalIP").Select(a => IPAddress.TryParse(a.Address, out IPAddress? ip) ? ip : null).OfType<IPAddress>().ToHashSet();
        return request.DnsNames.All(names.Contains) && request.IpAddresses.All(ips.Contains);
    }
}
