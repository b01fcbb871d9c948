using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Navarch.ApiServer.Pki;

/// <summary>
/// Keeps a running server's certificates fresh: every minute (on the server's clock) <see cref="ClusterPki.Refresh"/>
/// renews what is due and takes up what <c>navarch certificate rotate</c> wrote, and the aggregator's front-proxy client
/// certificate is reissued when due (<see cref="FrontProxyPki.Refresh"/>); when anything changed,
/// <paramref name="changed"/> rewrites what embeds the certificates (the admin kubeconfig). New TLS connections get the
/// new certificates at once; the old ones stay valid for the 90 days renewal comes early by.
/// </summary>
internal sealed partial class CertificateRenewer(ClusterPki pki, TimeProvider time, Func<CancellationToken, Task> changed, ILogger logger, FrontProxyPki? frontProxy = null) : IAsyncDisposable
{
    /// <summary>How often the certificates are checked.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>Starts checking.</summary>
    public void Start() => _loop = RunAsync(_stop.Token);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Period, time, cancellationToken).ConfigureAwait(false);
                try
                {
                    var renewed = pki.Refresh().ToList();
                    if (frontProxy?.Refresh(time.GetUtcNow()) == true)
                    {
                        renewed.Add(FrontProxyPki.ClientCommonName);
                    }

                    if (renewed.Count > 0)
                    {
                        LogRenewed(logger, renewed);
                        await changed(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    // A full disk or a half-written pair is not the end of serving: the next round tries again.
                    LogFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Renewed certificates: {Certificates}")]
    private static partial void LogRenewed(ILogger logger, IReadOnlyList<string> certificates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Certificate renewal failed, trying again in a minute: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
