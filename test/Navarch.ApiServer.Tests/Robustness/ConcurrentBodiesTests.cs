using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

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
        int[] codes = await Task.WhenAll(Enumerable.Range(0, 150).Select(async _ =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri("/api/v1/namespaces/default/configmaps", UriKind.Relative), content);
            return (int)response.StatusCode;
        }));
        await sampling.CancelAsync();
        await sampler;

        // Over 1 MiB of data: each is refused by validation, after being read and decoded in full. The bound is coarse
        // (the managed heap, garbage included, of the whole test process) and guards against the gigabytes of issue 16.
        Assert.All(codes, code => Assert.Equal(422, code));
        Assert.True(peak - baseline < 2048L * 1024 * 1024, $"managed memory grew by {(peak - baseline) / (1024 * 1024)} MiB in {watch.Elapsed}");
    }
}
