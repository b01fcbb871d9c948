using System.Net;
using k8s.Autorest;

namespace Navarch.Client;

/// <summary>
/// Runs a one-time step against the API server (registering the Node, creating a default object) through what a
/// healthy control plane answers for a while — a 5xx while the store elects a leader or has no quorum, a 429, a refused
/// or reset connection while a server restarts, a call timed out — trying again with back-off (200 ms doubling to 7 s,
/// the kubelet's registration back-off) until it is done or the caller stops. Failures that trying again cannot mend (a
/// 4xx the step does not handle) are thrown at once.
/// </summary>
public static class StartupRetry
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(7);

    /// <summary>Runs <paramref name="step"/> until it succeeds; <paramref name="retrying"/> hears each transient failure.</summary>
    public static async Task<T> UntilDoneAsync<T>(Func<CancellationToken, Task<T>> step, Action<Exception>? retrying, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        TimeSpan delay = First;
        while (true)
        {
            try
            {
                return await step(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTransient(e))
            {
                retrying?.Invoke(e);
            }

            await Task.Delay(delay, time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Longest.Ticks));
        }
    }

    /// <summary>As the other overload, for a step without a result.</summary>
    public static Task UntilDoneAsync(Func<CancellationToken, Task> step, Action<Exception>? retrying, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        return UntilDoneAsync(
            async ct =>
            {
                await step(ct).ConfigureAwait(false);
                return true;
            },
            retrying,
            cancellationToken,
            time);
    }

    /// <summary>Whether trying again later may succeed: the server is unavailable, overloaded or unreachable for now.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        HttpOperationException { Response: { } response } => (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests,
        ApiException api => api.Code >= 500 || api.Code == 429,
        HttpRequestException or IOException => true,
        // HttpClient's own timeout (the caller's token is not cancelled).
        OperationCanceledException => true,
        _ => false,
    };
}
