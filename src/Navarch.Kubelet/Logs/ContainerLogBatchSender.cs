using System.Net.Http.Headers;
using Navarch.Client;

namespace Navarch.Kubelet.Logs;

/// <summary>Posts a batch to <c>/apis/logging.navarch.io/v1/containerlogbatches</c> with the kubelet's credentials.</summary>
internal static class ContainerLogBatchSender
{
    public const string Path = "/apis/logging.navarch.io/v1/containerlogbatches";

    /// <summary>Sends <paramref name="json"/>; throws <see cref="ApiException"/> unless the server stored it.</summary>
    public static async Task SendAsync(RawApi api, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        var content = new ReadOnlyMemoryContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A server that does not answer is given up on, so the next round (with what is new since) tries again.
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using HttpResponseMessage response = await api.SendAsync(HttpMethod.Post, Path, content, cancellationToken: timeout.Token).ConfigureAwait(false);
        await RawApi.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }
}
