using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Navarch.Bench.HighAvailability;

/// <summary>Concurrent clients creating ConfigMaps through the API servers, each write's latency and outcome recorded.</summary>
internal static class Writers
{
    private static readonly string Payload = new('x', 256);

    /// <summary>One create: when it ended (a <see cref="Stopwatch"/> timestamp), how long it took, and the error (null: acknowledged).</summary>
    public readonly record struct Write(long EndedAt, double Milliseconds, string? Error)
    {
        public bool Ok => Error is null;
    }

    public static V1ConfigMap ConfigMap(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["payload"] = Payload } };

    /// <summary>
    /// <paramref name="clients"/> writers, writer <c>w</c> through server <c>w mod n</c>, until <paramref name="window"/>
    /// has passed or <paramref name="stop"/> is cancelled. A failed write (an error status, a broken connection, no
    /// answer within 30 s) is recorded and the writer goes on.
    /// </summary>
    public static async Task<List<Write>> RunAsync(IReadOnlyList<LoopbackServer> servers, int clients, TimeSpan window, CancellationToken stop = default)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stop);
        ended.CancelAfter(window);
        var writes = new List<Write>[clients];
        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var mine = writes[w] = [];
            Kubernetes client = servers[w % servers.Count].Client;
            for (int i = 0; !ended.IsCancellationRequested; i++)
            {
                long start = Stopwatch.GetTimestamp();
                string? error = null;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"bench-{run}-{w}-{i}"), "default", cancellationToken: timeout.Token);
                }
                catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
                {
                    error = e is k8s.Autorest.HttpOperationException http ? ((int)http.Response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : e.GetType().Name;
                    if (!ended.IsCancellationRequested)
                    {
                        // A server that refuses at once (connection refused) would otherwise be asked in a tight loop.
                        await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
                    }
                }

                long end = Stopwatch.GetTimestamp();
                mine.Add(new Write(end, Stopwatch.GetElapsedTime(start, end).TotalMilliseconds, error));
            }
        }, CancellationToken.None)));
        return [.. writes.SelectMany(w => w)];
    }
}
