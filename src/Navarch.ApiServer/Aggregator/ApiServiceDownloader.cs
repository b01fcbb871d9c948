using System.Net;
using k8s.Models;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// One GET of a document from an extension server, as kube-aggregator's controllers make it: through the APIService's
/// transport, as a given aggregator user, with the last ETag, bounded in time (a minute) and size.
/// </summary>
internal sealed class ApiServiceDownloader(ApiServiceEndpoints endpoints, ApiServiceTransport transport)
{
    /// <summary>The largest document taken from an extension server.</summary>
    public const int MaxDocumentBytes = 32 << 20;

    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What the server answered: the body only for 200.</summary>
    public sealed record Download(HttpStatusCode Status, byte[] Body, string? Etag, string? ContentType);

    /// <summary>
    /// GETs <paramref name="path"/> from the server of <paramref name="apiService"/> as <paramref name="user"/>; a
    /// Service that cannot be reached, a body over <see cref="MaxDocumentBytes"/> or a timeout throws.
    /// </summary>
    public async Task<Download> GetAsync(V1APIService apiService, string path, string accept, string? etag, string user, CancellationToken cancellationToken)
    {
        ApiServiceEndpoints.Resolution resolution = await endpoints.ResolveAsync(apiService.Spec.Service, cancellationToken);
        if (resolution.Endpoint is not { } endpoint)
        {
            throw new HttpRequestException(resolution.Message);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DownloadTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ApiServiceTransport.Destination(endpoint), path));
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        ApiServiceTransport.SetIdentity(request, [new("X-Remote-User", user)]);
        using HttpResponseMessage response = await transport.For(apiService).SendAsync(request, timeout.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new Download(response.StatusCode, [], null, null);
        }

        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
        {
            throw new InvalidDataException($"{path} is larger than {MaxDocumentBytes} bytes");
        }

        await using Stream body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
        {
            if (buffer.Length + read > MaxDocumentBytes)
            {
                throw new InvalidDataException($"{path} is larger than {MaxDocumentBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return new Download(HttpStatusCode.OK, buffer.ToArray(), response.Headers.ETag?.ToString(), response.Content.Headers.ContentType?.ToString());
    }
}
