using System.Net;
using k8s.Autorest;

namespace Navarch.Client.Tests;

[Trait("Category", "Unit")]
public sealed class StartupRetryTests
{
    [Fact]
    public async Task A_step_failing_with_unavailable_and_refused_connections_is_tried_again_until_it_succeeds()
    {
        int calls = 0;
        var heard = new List<string>();
        int result = await StartupRetry.UntilDoneAsync(
            _ => ++calls switch
            {
                1 => throw Status(HttpStatusCode.ServiceUnavailable),
                2 => throw new HttpRequestException("Connection refused"),
                3 => throw Status(HttpStatusCode.TooManyRequests),
                _ => Task.FromResult(42),
            },
            e => heard.Add(e.GetType().Name),
            CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(4, calls);
        Assert.Equal(["HttpOperationException", "HttpRequestException", "HttpOperationException"], heard);
    }

    [Fact]
    public async Task A_refusal_that_trying_again_cannot_mend_is_thrown_at_once()
    {
        int calls = 0;
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => StartupRetry.UntilDoneAsync(
            _ =>
            {
                calls++;
                throw Status(HttpStatusCode.Forbidden);
            },
            null,
            CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Stopping_the_caller_ends_the_retries()
    {
        using var stop = new CancellationTokenSource();
        int calls = 0;
        Task waiting = StartupRetry.UntilDoneAsync(
            _ =>
            {
                calls++;
                throw Status(HttpStatusCode.ServiceUnavailable);
            },
            _ =>
            {
                if (calls == 2)
                {
                    stop.Cancel();
                }
            },
            stop.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(2, calls);
    }

    private static HttpOperationException Status(HttpStatusCode code) => new($"Operation returned an invalid status code '{code}'")
    {
        Response = new HttpResponseMessageWrapper(new HttpResponseMessage(code), "{}"),
    };
}
