using System.Net;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>The in-flight limit: a request over it gets 429 TooManyRequests with Retry-After; watches and streams are not counted.</summary>
[Trait("Category", "Integration")]
public sealed class InFlightTests
{
    /// <summary>A request body that is sent only when released, so the request holds its in-flight slot meanwhile.</summary>
    private sealed class HeldContent(TaskCompletionSource release, string json) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{"u8.ToArray());
            await stream.FlushAsync();
            await release.Task;
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(json[1..]));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task A_request_over_the_limit_gets_429_and_watches_do_not_count()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(maxInFlight: 1);
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && host.Server.Pki.IsSignedByCa(cert) };
        handler.ClientCertificates.Add(host.Server.Pki.Admin);
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{host.Server.Port}") };

        // A watch stays open without holding the only slot.
        using HttpResponseMessage watch = await http.GetAsync("/api/v1/namespaces/default/configmaps?watch=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces/default/configmaps")).StatusCode);

        // A create whose body has not arrived yet holds it: the next request is refused with a Status and Retry-After.
        var release = new TaskCompletionSource();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps")
        {
            Content = new HeldContent(release, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held"}}"""),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        Task<HttpResponseMessage> held = http.SendAsync(request);
        HttpResponseMessage refused;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            refused = await http.GetAsync("/api/v1/namespaces/default/configmaps");
        }
        while (refused.StatusCode != (HttpStatusCode)429 && clock.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        using (JsonDocument status = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.Equal("TooManyRequests", status.RootElement.GetProperty("reason").GetString());
            Assert.Equal(429, status.RootElement.GetProperty("code").GetInt32());
        }

        // Once the held request completes, the slot is free again and the create took effect.
        release.SetResult();
        Assert.Equal(HttpStatusCode.Created, (await held).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces/default/configmaps/held")).StatusCode);
    }
}
