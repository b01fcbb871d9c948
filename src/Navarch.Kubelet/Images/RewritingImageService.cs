using Grpc.Core;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Containerd.Registries;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Images;

/// <summary>
/// The image service with registries.yaml's rewrites applied (<see cref="MirrorRewrite"/>), as k3s's containerd applies
/// them: an image whose registry's mirror rewrites is first pulled from the mirror endpoints by the rewritten name,
/// then named as the pod named it and the rewritten name dropped, so the node keeps it under the original name only
/// (a container's image matches its pod's spec; a later IfNotPresent finds it). When no mirror has it, the original
/// name is pulled as before: containerd's hosts.toml for the registry, mirrors first and the registry itself last.
/// </summary>
/// <remarks>
/// The CRI has no call to name an image, so the names are set through containerd's images API with <c>ctr</c>
/// (<see cref="Ctr"/>) in the CRI plugin's namespace; the CRI plugin follows containerd's image events, and the pull
/// returns once it shows the original name. Rewritten pulls run one at a time (the kubelet's default serialized
/// pulls), so one pull cannot drop the rewritten name another has just pulled before it names it.
/// </remarks>
internal sealed partial class RewritingImageService(IImageService inner, string socket, PrivateRegistries registries, TimeProvider time, ILogger<RewritingImageService> logger) : IImageService, IDisposable
{
    private static readonly TimeSpan NamesTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _pulls = new(1, 1);

    public Task<IReadOnlyList<Image>> ListImagesAsync(ImageFilter? filter, CancellationToken cancellationToken) => inner.ListImagesAsync(filter, cancellationToken);

    public Task<Image?> ImageStatusAsync(ImageSpec image, CancellationToken cancellationToken) => inner.ImageStatusAsync(image, cancellationToken);

    public async Task<string> PullImageAsync(ImageSpec image, AuthConfig? auth, PodSandboxConfig? sandboxConfig, CancellationToken cancellationToken)
    {
        if (MirrorRewrite.Rewrite(registries, image.Image) is not { } rewritten)
        {
            return await inner.PullImageAsync(image, auth, sandboxConfig, cancellationToken).ConfigureAwait(false);
        }

        await _pulls.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string imageId = await inner.PullImageAsync(new ImageSpec(image) { Image = rewritten }, auth, sandboxConfig, cancellationToken).ConfigureAwait(false);
            await NameAsPulledAsync(imageId, ImageName.Parse(rewritten), ImageName.Parse(image.Image), cancellationToken).ConfigureAwait(false);
            LogPulledFromMirror(logger, image.Image, rewritten);
            return imageId;
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            LogMirrorFailed(logger, image.Image, rewritten, e.Status.Detail);
        }
        finally
        {
            _pulls.Release();
        }

        return await inner.PullImageAsync(image, auth, sandboxConfig, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _pulls.Dispose();

    /// <summary>
    /// Gives image <paramref name="imageId"/> the names CRI gives a pull of <paramref name="original"/> (its tag, or
    /// <c>latest</c>, and its repository digest; only the digest when pinned by one), drops <paramref name="rewritten"/>'s,
    /// and waits until the CRI plugin shows exactly that.
    /// </summary>
    private async Task NameAsPulledAsync(string imageId, ImageName rewritten, ImageName original, CancellationToken cancellationToken)
    {
        Image pulled = await inner.ImageStatusAsync(new ImageSpec { Image = imageId }, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"image {imageId} pulled as {rewritten} is gone"));
        string rewrittenRepository = $"{rewritten.Domain}/{rewritten.Path}";
        string[] rewrittenNames = [.. pulled.RepoTags.Concat(pulled.RepoDigests).Where(n => n.StartsWith(rewrittenRepository + ":", StringComparison.Ordinal) || n.StartsWith(rewrittenRepository + "@", StringComparison.Ordinal))];
        string repoDigest = pulled.RepoDigests.FirstOrDefault(n => n.StartsWith(rewrittenRepository + "@", StringComparison.Ordinal))
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.Internal, $"image {imageId} pulled as {rewritten} has no repository digest"));
        string manifestDigest = repoDigest[(rewrittenRepository.Length + 1)..];
        string[] names = original.Digest is not null
            ? [(original with { Tag = null }).ToString()]
            : [(original with { Tag = original.Tag ?? "latest" }).ToString(), (original with { Tag = null, Digest = manifestDigest }).ToString()];

        try
        {
            await Ctr.RunAsync(socket, ["images", "tag", "--force", repoDigest, .. names], cancellationToken).ConfigureAwait(false);
            await Ctr.RunAsync(socket, ["images", "rm", .. rewrittenNames], cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Internal, e.Message));
        }

        // The CRI plugin applies containerd's image events on its own; until it has, a container made from the image
        // would report the rewritten name.
        DateTimeOffset deadline = time.GetUtcNow() + NamesTimeout;
        while (true)
        {
            Image? now = await inner.ImageStatusAsync(new ImageSpec { Image = imageId }, cancellationToken).ConfigureAwait(false);
            string[] shown = [.. (now?.RepoTags ?? []).Concat(now?.RepoDigests ?? [])];
            if (names.All(shown.Contains) && !shown.Any(rewrittenNames.Contains))
            {
                return;
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, $"image {imageId} pulled as {rewritten}: the runtime still shows [{string.Join(", ", shown)}], not [{string.Join(", ", names)}]"));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulled {Image} from its registry's mirror as {Rewritten}")]
    private static partial void LogPulledFromMirror(ILogger logger, string image, string rewritten);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling {Image} from its registry's mirror as {Rewritten} failed ({Reason}); pulling it by its own name")]
    private static partial void LogMirrorFailed(ILogger logger, string image, string rewritten, string reason);
}
