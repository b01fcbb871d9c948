using Grpc.Net.Client;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Runtime;

/// <summary><see cref="IImageService"/> over a CRI gRPC channel (cri-client's remoteImageService).</summary>
internal sealed class RemoteImageService(GrpcChannel channel) : IImageService
{
    private readonly ImageService.ImageServiceClient _client = new(channel);

    public async Task<IReadOnlyList<Image>> ListImagesAsync(ImageFilter? filter, CancellationToken cancellationToken) =>
        (await _client.ListImagesAsync(new ListImagesRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false)).Images;

    public async Task<Image?> ImageStatusAsync(ImageSpec image, CancellationToken cancellationToken) =>
        (await _client.ImageStatusAsync(new ImageStatusRequest { Image = image }, cancellationToken: cancellationToken).ConfigureAwait(false)).Image;

    public async Task<string> PullImageAsync(ImageSpec image, AuthConfig? auth, PodSandboxConfig? sandboxConfig, CancellationToken cancellationToken) =>
        (await _client.PullImageAsync(new PullImageRequest { Image = image, Auth = auth, SandboxConfig = sandboxConfig }, cancellationToken: cancellationToken).ConfigureAwait(false)).ImageRef;
}
