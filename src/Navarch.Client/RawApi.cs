using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s;

namespace Navarch.Client;

/// <summary>
/// Plain REST calls through the official client's HTTP pipeline (its certificates and credentials), for what its
/// typed operations do not cover: any resource by path, watches with every query parameter, discovery.
/// </summary>
public sealed class RawApi(Kubernetes client)
{
    /// <summary>The client whose pipeline this uses.</summary>
    public Kubernetes Client => client;

    /// <summary>Sends a request; the caller owns the response.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? json = null, string contentType = "application/json", HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancellationToken = default)
    {
        HttpContent? content = null;
        if (json is not null)
        {
            content = new StringContent(json, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        return SendAsync(method, pathAndQuery, content, completion, cancellationToken);
    }

    /// <summary>Sends a request with <paramref name="content"/> (which it disposes); the caller owns the response.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(client.BaseUri, pathAndQuery)) { Content = content };
        return await SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="request"/> (its URI relative to the server, or absolute) with the client's credentials.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is { IsAbsoluteUri: false } relative)
        {
            request.RequestUri = new Uri(client.BaseUri, relative);
        }

        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return await client.HttpClient.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GETs JSON, throwing <see cref="ApiException"/> on an error status.</summary>
    public async Task<JsonDocument> GetJsonAsync(string pathAndQuery, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, pathAndQuery, cancellationToken: cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws <see cref="ApiException"/> unless the response succeeded.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccessStatusCode)
        {
            throw new ApiException((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
    }
}
