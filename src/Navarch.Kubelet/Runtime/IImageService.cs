using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Runtime;

/// <summary>
/// The image half of the CRI, shaped like cri-api's <c>internalapi.ImageManagerService</c>. Failures are
/// <see cref="Grpc.Core.RpcException"/>s with the runtime's status code and message (a refused pull's reason).
/// </summary>
public interface IImageService
{
    /// <summary>The images the runtime has that match <paramref name="filter"/> (all when null).</summary>
    Task<IReadOnlyList<Image>> ListImagesAsync(ImageFilter? filter, CancellationToken cancellationToken);

    /// <summary>The image, or null when the runtime does not have it.</summary>
    Task<Image?> ImageStatusAsync(ImageSpec image, CancellationToken cancellationToken);

    /// <summary>Pulls an image with <paramref name="auth"/> (anonymous when null); returns its reference (a digest).</summary>
    Task<string> PullImageAsync(ImageSpec image, AuthConfig? auth, PodSandboxConfig? sandboxConfig, CancellationToken cancellationToken);
}
