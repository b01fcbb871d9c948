using k8s.Models;
using Navarch.Api.Certificates;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Certificates;

/// <summary>
/// pkg/controller/certificates' CertificateController, which the approver and each signer are made of: every
/// CertificateSigningRequest change is queued by name, and a request that has no certificate yet is handed, as a
/// copy, to <see cref="HandleAsync"/>. A request whose handling fails is retried rate-limited.
/// </summary>
public abstract class CertificateController : QueueController
{
    /// <summary>Subscribes to the shared CSR informer.</summary>
    protected CertificateController(string name, ControllerContext context)
        : base(name, context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Requests = context.Informers.Get<V1CertificateSigningRequest>();
        Requests.AddHandler(new ResourceEventHandler<V1CertificateSigningRequest>(Enqueue));
    }

    /// <summary>The shared CSR informer.</summary>
    protected Informer<V1CertificateSigningRequest> Requests { get; }

    /// <summary>Acts on <paramref name="csr"/>, a copy the handler may change.</summary>
    protected abstract Task HandleAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (Requests.Store.Get(key) is not { } cached || CsrConditions.Issued(cached))
        {
            return;
        }

        await HandleAsync(ModelCopies.Copy(cached), cancellationToken).ConfigureAwait(false);
    }
}
