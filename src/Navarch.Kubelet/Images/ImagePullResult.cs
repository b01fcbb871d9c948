using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Images;

/// <summary>
/// What <see cref="ImageManager.EnsureImageExistsAsync"/> found: the image's ID and the runtime's record of it (its
/// user, for runAsNonRoot), or the reason and message the container waits with.
/// </summary>
internal sealed record ImagePullResult(string? ImageRef, Image? Image, bool WasPresent, string? WaitingReason, string? WaitingMessage)
{
    public static ImagePullResult Waiting(string reason, string? message) => new(null, null, WasPresent: false, reason, message);
}
