using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Navarch.Api.Certificates;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's csrcleaner controller (pkg/controller/certificates/cleaner): every hour it deletes
/// requests that are done with — issued, denied or failed more than an hour ago, pending for more than a day, or
/// whose certificate has expired — so renewals do not pile up.
/// </summary>
public sealed class CsrCleanerController : IController
{
    private static readonly TimeSpan PollingInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan ApprovedExpiration = TimeSpan.FromHours(1);
    private static readonly TimeSpan DeniedExpiration = TimeSpan.FromHours(1);
    private static readonly TimeSpan FailedExpiration = TimeSpan.FromHours(1);
    private static readonly TimeSpan PendingExpiration = TimeSpan.FromHours(24);

    private readonly IKubernetes _client;
    private readonly TimeProvider _time;
    private readonly Informer<V1CertificateSigningRequest> _requests;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;

    /// <summary>Creates the cleaner over the shared CSR informer.</summary>
    public CsrCleanerController(ControllerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _client = context.Client;
        _time = context.Time;
        _requests = context.Informers.Get<V1CertificateSigningRequest>();
        _logger = Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<CsrCleanerController>(context.Loggers);
    }

    /// <inheritdoc />
    public string Name => "csrcleaner";

    /// <inheritdoc />
    public async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await CleanAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(PollingInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over every request; a failed delete is logged and tried again next pass.</summary>
    public async Task CleanAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (V1CertificateSigningRequest csr in _requests.Store.List())
        {
            if (Reason(csr, now) is not { } reason)
            {
                continue;
            }

            try
            {
                await _client.CertificatesV1.DeleteCertificateSigningRequestAsync(
                    csr.Metadata.Name, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = csr.Metadata.Uid } }, cancellationToken: cancellationToken).ConfigureAwait(false);
                Log.Cleaned(_logger, csr.Metadata.Name, reason);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
            }
            catch (k8s.Autorest.HttpOperationException e)
            {
                Log.CleanFailed(_logger, csr.Metadata.Name, e.Message);
            }
        }
    }

    /// <summary>Why <paramref name="csr"/> is to go, or null when it stays.</summary>
    private static string? Reason(V1CertificateSigningRequest csr, DateTimeOffset now)
    {
        IList<V1CertificateSigningRequestCondition> conditions = csr.Status?.Conditions ?? [];
        bool issued = CsrConditions.Issued(csr);
        if (conditions.Count == 0 && OlderThan(csr.Metadata.CreationTimestamp, PendingExpiration, now))
        {
            return $"it is more than {PendingExpiration} old and unhandled";
        }

        foreach (V1CertificateSigningRequestCondition c in conditions)
        {
            DateTime? when = c.LastUpdateTime ?? csr.Metadata.CreationTimestamp;
            if (c.Type == CsrConditions.Denied && OlderThan(when, DeniedExpiration, now))
            {
                return $"it is more than {DeniedExpiration} old and denied";
            }

            if (c.Type == CsrConditions.Failed && OlderThan(when, FailedExpiration, now))
            {
                return $"it is more than {FailedExpiration} old and failed";
            }

            if (c.Type == CsrConditions.Approved && issued && (OlderThan(when, ApprovedExpiration, now) || Expired(csr, now)))
            {
                return "it is issued and either more than an hour old or its certificate has expired";
            }
        }

        return null;
    }

    private static bool OlderThan(DateTime? time, TimeSpan age, DateTimeOffset now) =>
        time is { } t && now - new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) > age;

    private static bool Expired(V1CertificateSigningRequest csr, DateTimeOffset now)
    {
        try
        {
            using X509Certificate2 certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(csr.Status.Certificate));
            return now.UtcDateTime > certificate.NotAfter.ToUniversalTime();
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
