using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Certificates;

namespace Navarch.Client.Certificates;

/// <summary>
/// Keeps one certificate fresh through the CertificateSigningRequest API, as client-go's certificate manager does for
/// the kubelet's client and serving certificates: the rotation deadline is a random point between 70% and 90% of the
/// certificate's lifetime (so a fleet does not renew at once); there a new key is generated and a CSR for the configured
/// signer is created and awaited until it is issued (auto-approved for nodes by csrapproving, signed by csrsigning), then
/// the pair is written atomically and <see cref="Current"/> changes, so the next TLS handshake uses it. A denied, failed
/// or unsigned request is retried after <see cref="CertificateManagerOptions.RetryAfter"/>.
/// </summary>
public sealed partial class CertificateManager : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    private readonly IKubernetes _client;
    private readonly CertificateManagerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _jitter;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile X509Certificate2? _current;

    /// <summary>Creates a manager over the pair in <paramref name="options"/> (read now if present); nothing runs until <see cref="Start"/>.</summary>
    public CertificateManager(IKubernetes client, CertificateManagerOptions options, TimeProvider time, ILogger logger, Random? jitter = null)
    {
        _client = client;
        _options = options;
        _time = time;
        _logger = logger;
        _jitter = jitter ?? Random.Shared;
        _current = Load();
    }

    /// <summary>The current certificate with its key, or null before the first one is issued.</summary>
    public X509Certificate2? Current => _current;

    private string CrtPath => Path.Combine(_options.Directory, _options.Name + ".crt");

    private string KeyPath => Path.Combine(_options.Directory, _options.Name + ".key");

    /// <summary>When <paramref name="certificate"/> is to be rotated: 70% to 90% into its lifetime, at random.</summary>
    public DateTimeOffset RotationDeadline(X509Certificate2 certificate)
    {
        DateTimeOffset notBefore = new(certificate.NotBefore.ToUniversalTime()), notAfter = new(certificate.NotAfter.ToUniversalTime());
        double fraction = 0.7 + (0.2 * _jitter.NextDouble());
        return notBefore + ((notAfter - notBefore) * fraction);
    }

    /// <summary>Starts rotating in the background.</summary>
    public void Start() => _loop = RunAsync(_stop.Token);

    /// <summary>Requests a new certificate now and waits until it is issued and stored.</summary>
    public async Task<X509Certificate2> RotateAsync(CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(_options.Subject, key, HashAlgorithmName.SHA256);
        if (_options.SubjectAlternativeNames?.Invoke() is var (dnsNames, addresses) && (dnsNames.Count > 0 || addresses.Count > 0))
        {
            var sans = new SubjectAlternativeNameBuilder();
            foreach (string dnsName in dnsNames)
            {
                sans.AddDnsName(dnsName);
            }

            foreach (IPAddress address in addresses)
            {
                sans.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(sans.Build());
        }

        V1CertificateSigningRequest created = await _client.CertificatesV1.CreateCertificateSigningRequestAsync(new V1CertificateSigningRequest
        {
            Metadata = new V1ObjectMeta { GenerateName = "csr-" },
            Spec = new V1CertificateSigningRequestSpec
            {
                Request = Encoding.ASCII.GetBytes(request.CreateSigningRequestPem()),
                SignerName = _options.SignerName,
                Usages = [.. _options.Usages],
            },
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        string name = created.Metadata.Name;
        LogRequested(_logger, _options.Name, name, _options.SignerName);

        byte[] issued = await WaitForCertificateAsync(name, cancellationToken).ConfigureAwait(false);
        X509Certificate2 certificate;
        using (X509Certificate2 publicOnly = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(issued)))
        {
            certificate = publicOnly.CopyWithPrivateKey(key);
        }

        Store(certificate, key);
        _current = certificate;
        LogRotated(_logger, _options.Name, name, certificate.NotAfter);
        if (_options.Changed is { } changed)
        {
            await changed(certificate, cancellationToken).ConfigureAwait(false);
        }

        return certificate;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (_current is { } current)
                {
                    TimeSpan wait = RotationDeadline(current) - _time.GetUtcNow();
                    if (wait > TimeSpan.Zero)
                    {
                        // A timer cannot wait 50 days: wait a day at most, then look again.
                        LogWaiting(_logger, _options.Name, wait);
                        await Task.Delay(wait < MaxWait ? wait : MaxWait, _time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }

                try
                {
                    await RotateAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is CertificateRequestException or HttpOperationException or HttpRequestException or CryptographicException or IOException)
                {
                    // The current certificate stays in use until it expires: keep asking.
                    LogFailed(_logger, _options.Name, e.Message, _options.RetryAfter);
                    await Task.Delay(_options.RetryAfter, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Polls the request until issued; denied or failed requests end the wait.</summary>
    private async Task<byte[]> WaitForCertificateAsync(string name, CancellationToken cancellationToken)
    {
        // Waiting on the signer is wall-clock time, not the certificate's clock.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SigningTimeout);
        try
        {
            while (true)
            {
                V1CertificateSigningRequest csr = await _client.CertificatesV1.ReadCertificateSigningRequestAsync(name, cancellationToken: timeout.Token).ConfigureAwait(false);
                if (CsrConditions.Has(csr, CsrConditions.Denied) || CsrConditions.Has(csr, CsrConditions.Failed))
                {
                    V1CertificateSigningRequestCondition condition = csr.Status.Conditions.First(c => c.Type is CsrConditions.Denied or CsrConditions.Failed);
                    throw new CertificateRequestException($"certificate signing request {name} is {condition.Type}: {condition.Reason} {condition.Message}".TrimEnd());
                }

                if (CsrConditions.Issued(csr))
                {
                    return csr.Status.Certificate;
                }

                await Task.Delay(PollInterval, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CertificateRequestException($"certificate signing request {name} was not issued within {_options.SigningTimeout}");
        }
    }

    private X509Certificate2? Load()
    {
        if (!File.Exists(CrtPath) || !File.Exists(KeyPath))
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(CrtPath, KeyPath);
        }
        catch (CryptographicException)
        {
            // An unreadable pair is replaced by the first rotation.
            return null;
        }
    }

    /// <summary>Writes the key, then the certificate, each replaced atomically.</summary>
    private void Store(X509Certificate2 certificate, ECDsa key)
    {
        Directory.CreateDirectory(_options.Directory);
        WriteAtomically(KeyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // 0600 as everything in the data dir.
        WriteAtomically(CrtPath, certificate.ExportCertificatePem() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            stream.Write(Encoding.ASCII.GetBytes(text));
        }

        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Certificate {Certificate}: requested {Csr} from {Signer}")]
    private static partial void LogRequested(ILogger logger, string certificate, string csr, string signer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Certificate {Certificate}: rotated through {Csr}, valid until {NotAfter:O}")]
    private static partial void LogRotated(ILogger logger, string certificate, string csr, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Certificate {Certificate}: rotation in {Wait}")]
    private static partial void LogWaiting(ILogger logger, string certificate, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Certificate {Certificate}: rotation failed ({Reason}), trying again in {RetryAfter}")]
    private static partial void LogFailed(ILogger logger, string certificate, string reason, TimeSpan retryAfter);
}
