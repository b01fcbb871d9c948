using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Navarch.Testing;

/// <summary>
/// An admission webhook server for tests and benchmarks: ASP.NET Core over HTTPS on loopback, with a CA of its own
/// (<see cref="CaBundle"/>) that signed its certificate for 127.0.0.1 and the Service names given. Each path answers
/// AdmissionReviews with a handler; every review received is kept per path.
/// </summary>
public sealed class WebhookTestServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Func<JsonObject, CancellationToken, Task<JsonObject>>> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<JsonObject, JsonObject>> _conversions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<JsonObject>> _reviews = new(StringComparer.Ordinal);
    private WebApplication? _app;

    private WebhookTestServer(byte[] caBundle) => CaBundle = caBundle;

    /// <summary>The PEM of the CA the server's certificate chains to (a webhook's caBundle).</summary>
    public byte[] CaBundle { get; }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    /// <summary>The URL of <paramref name="path"/> on this server.</summary>
    public string Url(string path) => $"https://127.0.0.1:{Port}{path}";

    /// <summary>Starts a server whose certificate also names <paramref name="dnsNames"/> (e.g. <c>webhook.ns.svc</c>).</summary>
    public static async Task<WebhookTestServer> StartAsync(params string[] dnsNames)
    {
        (X509Certificate2 serving, byte[] caBundle) = TestServingCertificate.Create([IPAddress.Loopback], dnsNames);
        var server = new WebhookTestServer(caBundle);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(serving)));
        server._app = builder.Build();
        server._app.Run(server.ServeAsync);
        await server._app.StartAsync();
        server.Port = new Uri(server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return server;
    }

    /// <summary>Answers reviews posted to <paramref name="path"/> with <paramref name="handler"/> (given the review's request).</summary>
    public void Handle(string path, Func<JsonObject, CancellationToken, Task<JsonObject>> handler) => _handlers[path] = handler;

    /// <summary>Answers reviews posted to <paramref name="path"/> with <paramref name="handler"/>.</summary>
    public void Handle(string path, Func<JsonObject, JsonObject> handler) => _handlers[path] = (r, _) => Task.FromResult(handler(r));

    /// <summary>
    /// Answers ConversionReviews posted to <paramref name="path"/> (a CRD's conversion webhook): <paramref name="handler"/>
    /// is given the whole review and returns the whole answer, so tests can also answer wrongly.
    /// </summary>
    public void HandleConversion(string path, Func<JsonObject, JsonObject> handler) => _conversions[path] = handler;

    /// <summary>The requests (AdmissionReview.request, or the whole ConversionReview) received on <paramref name="path"/> so far.</summary>
    public IReadOnlyList<JsonObject> Reviews(string path) => _reviews.TryGetValue(path, out var queue) ? queue.ToList() : [];

    /// <summary>An allowing response to <paramref name="request"/>.</summary>
    public static JsonObject Allow(JsonObject request) => new() { ["uid"] = (string?)request["uid"], ["allowed"] = true };

    /// <summary>A denying response with <paramref name="message"/> (and <paramref name="code"/> when given).</summary>
    public static JsonObject Deny(JsonObject request, string message, int? code = null)
    {
        var status = new JsonObject { ["message"] = message };
        if (code is { } c)
        {
            status["code"] = c;
        }

        return new JsonObject { ["uid"] = (string?)request["uid"], ["allowed"] = false, ["status"] = status };
    }

    /// <summary>An allowing response carrying a JSONPatch.</summary>
    public static JsonObject Patch(JsonObject request, JsonArray operations)
    {
        JsonObject response = Allow(request);
        response["patchType"] = "JSONPatch";
        response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(operations.ToJsonString()));
        return response;
    }

    private async Task ServeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        if (_conversions.TryGetValue(path, out var convert))
        {
            JsonObject conversion = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))!;
            _reviews.GetOrAdd(path, _ => new ConcurrentQueue<JsonObject>()).Enqueue(conversion);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(convert(conversion).ToJsonString(), context.RequestAborted);
            return;
        }

        if (!_handlers.TryGetValue(path, out var handler))
        {
            context.Response.StatusCode = 404;
            return;
        }

        JsonObject review = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))!;
        JsonObject request = review["request"]!.AsObject();
        _reviews.GetOrAdd(path, _ => new ConcurrentQueue<JsonObject>()).Enqueue(request);
        JsonObject response;
        try
        {
            response = await handler(request, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response }.ToJsonString(), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
