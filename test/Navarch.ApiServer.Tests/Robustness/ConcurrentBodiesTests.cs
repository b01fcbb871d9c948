using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>Many large bodies at once take bounded memory: the server holds at most its body budget of them (issue 16: 150 × 2.9 MB took 6 GB).</summary>
[Trait("Category", "Integration")]
[Collection(RobustnessCollection.Name)]
public sealed class ConcurrentBodiesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_hundred_and_fifty_large_bodies_at_once_stay_within_bounded_memory()
    {
        byte[] body = Encoding.UTF8.GetBytes("{\"metadata\":{\"name\":\"large\"},\"data\":{\"a\":\"" + new string('x', 2_900_000) + "\"}}");
        GC.Collect();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(10, CancellationToken.None);
            }
        });

        var watch = Stopwatch.StartNew();
        (int Code, bool RetryAfter)[] answers = await Task.WhenAll(Enumerable.Range(0, 150).Select(async _ =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri("/api/v1/namespaces/default/configmaps", UriKind.Relative), content);
            return ((int)response.StatusCode, response.Headers.RetryAfter is not null);
        }));
        await sampling.CancelAsync();
        await sampler;

        // Over 1 MiB of data: each is refused by validation, after being read and decoded in full. The bound is coarse
        // (the managed heap, garbage included, of the whole test process) and guards against the gigabytes of issue 16.
        // A body that waited too long for the budget is told to come back (429 with Retry-After) — after the server
        // read it away, so the client sees the answer rather than a closed connection. How many wait that long
        // depends on the machine's speed; every answer is one of the two, and the budget lets bodies through.
        Assert.All(answers, a => Assert.True(a.Code == 422 || (a.Code == 429 && a.RetryAfter), $"answer {a.Code}, Retry-After {a.RetryAfter}"));
        Assert.Contains(answers, a => a.Code == 422);
        Assert.True(peak - baseline < 2048L * 1024 * 1024, $"managed memory grew by {(peak - baseline) / (1024 * 1024)} MiB in {watch.Elapsed}");
    }

    [Fact]
    public async Task A_body_that_waits_too_long_for_the_budget_gets_a_429_with_Retry_After_not_a_closed_connection()
    {
        // Ten stalled chunked uploads reserve the largest body each (3 MiB of the 32 MiB budget), so the next body waits.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long before = fixture.Server.Bodies.Used;
        Task<HttpResponseMessage>[] stalled = Enumerable.Range(0, 10).Select(_ =>
        {
            var content = new StalledContent(release);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return fixture.Http.PostAsync(new Uri("/api/v1/namespaces/default/configmaps", UriKind.Relative), content);
        }).ToArray();
        await Polling.Eventually(() => fixture.Server.Bodies.Used >= before + (10L * 3 * 1024 * 1024), "ten stalled uploads hold their reservations", TimeSpan.FromSeconds(60), detail: () => $"used {fixture.Server.Bodies.Used} before {before}; stalled {string.Join(",", stalled.Select(t => t.Status))}");

        byte[] body = Encoding.UTF8.GetBytes("{\"metadata\":{\"name\":\"waits\"},\"data\":{\"a\":\"" + new string('x', 2_900_000) + "\"}}");
        using var waiting = new ByteArrayContent(body);
        waiting.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var watch = Stopwatch.StartNew();
        using HttpResponseMessage refused = await fixture.Http.PostAsync(new Uri("/api/v1/namespaces/default/configmaps", UriKind.Relative), waiting);
        Assert.True(429 == (int)refused.StatusCode, $"answer {(int)refused.StatusCode} with {fixture.Server.Bodies.Used} bytes reserved (before {before}) after {watch.Elapsed}");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("\"reason\":\"TooManyRequests\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(9), $"refused after {watch.Elapsed}, before the wait ended");

        // The stalled uploads end (an unclosed brace is a 400), the budget is free again, and the same body is read and judged.
        release.SetResult();
        foreach (HttpResponseMessage response in await Task.WhenAll(stalled))
        {
            Assert.Equal(400, (int)response.StatusCode);
            response.Dispose();
        }

        using var retried = new ByteArrayContent(body);
        retried.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using HttpResponseMessage judged = await fixture.Http.PostAsync(new Uri("/api/v1/namespaces/default/configmaps", UriKind.Relative), retried);
        Assert.Equal(422, (int)judged.StatusCode);
        // Eventually: the server's own requests (its identity Lease's renewal, queued behind the stalled uploads) may be in flight.
        await Polling.Eventually(() => fixture.Server.Bodies.Used == before, "the budget is free again", detail: () => $"used {fixture.Server.Bodies.Used}");
    }
}
