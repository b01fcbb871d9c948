using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Images;

/// <summary>
/// The kubelet's image manager (images.imageManager.EnsureImageExists): makes a container's image present by its
/// imagePullPolicy through the runtime's image service, with the pod's imagePullSecrets as a keyring
/// (<see cref="PullCredentials"/>), the kubelet's pull back-off per pod and image, and its events (Pulling, Pulled,
/// Failed, FailedToRetrieveImagePullSecret).
/// </summary>
internal sealed class ImageManager(IImageService images, IKubernetes client, EventRecorder events, TimeProvider time)
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, PullBackoff> _backoff = new(StringComparer.Ordinal);

    /// <summary>
    /// Makes <paramref name="container"/>'s image present; the result holds its image ID, or why the container waits
    /// (ErrImageNeverPull, ErrImagePull, ImagePullBackOff). <paramref name="reportPresent"/> asks for the "already
    /// present" Pulled event when no pull is needed.
    /// </summary>
    public async Task<ImagePullResult> EnsureImageExistsAsync(V1Pod pod, V1Container container, PodSandboxConfig sandboxConfig, bool reportPresent, CancellationToken cancellationToken)
    {
        string image = container.Image;
        string policy = container.ImagePullPolicy ?? ImageReference.DefaultPullPolicy(image);
        Image? present = await images.ImageStatusAsync(new ImageSpec { Image = image }, cancellationToken).ConfigureAwait(false);
        if (present is not null && policy != "Always")
        {
            if (reportPresent)
            {
                events.Event(pod, "Normal", "Pulled", $"Container image \"{image}\" already present on machine");
            }

            return new ImagePullResult(present.Id, present, WasPresent: true, null, null);
        }

        if (policy == "Never")
        {
            return ImagePullResult.Waiting("ErrImageNeverPull", $"Container image \"{image}\" is not present with pull policy of Never");
        }

        string key = $"{pod.Metadata.Uid}/{image}";
        DateTimeOffset now = time.GetUtcNow();
        _backoff.TryGetValue(key, out PullBackoff? backoff);
        if (backoff is not null && now < backoff.Until)
        {
            // The kubelet re-syncs a pod whose pull failed only after its worker back-off (10 s), so ErrImagePull
            // stays that long before ImagePullBackOff shows.
            bool recent = now - backoff.FailedAt < InitialBackoff;
            return recent ? ImagePullResult.Waiting("ErrImagePull", backoff.Failure) : ImagePullResult.Waiting("ImagePullBackOff", $"Back-off pulling image \"{image}\"");
        }

        IReadOnlyList<AuthConfig> credentials = (await PullSecretsAsync(pod, cancellationToken).ConfigureAwait(false)).Lookup(image);
        events.Event(pod, "Normal", "Pulling", $"Pulling image \"{image}\"");
        string? failure = null;

        // As the kubelet: anonymous when no secret matches the image, else each matching credential in turn.
        foreach (AuthConfig? auth in credentials.Count == 0 ? new AuthConfig?[] { null } : credentials.ToArray<AuthConfig?>())
        {
            try
            {
                string imageRef = await images.PullImageAsync(new ImageSpec { Image = image }, auth, sandboxConfig, cancellationToken).ConfigureAwait(false);
                _backoff.TryRemove(key, out _);
                events.Event(pod, "Normal", "Pulled", $"Successfully pulled image \"{image}\"");
                Image? pulled = await images.ImageStatusAsync(new ImageSpec { Image = imageRef }, cancellationToken).ConfigureAwait(false);
                return new ImagePullResult(pulled?.Id ?? imageRef, pulled, WasPresent: false, null, null);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                failure = e.Status.Detail;
            }
        }

        // Image pull back-off: 10 s doubling to 5 min per image, as the kubelet's.
        TimeSpan delay = backoff is null ? InitialBackoff : TimeSpan.FromTicks(Math.Min(backoff.Delay.Ticks * 2, MaxBackoff.Ticks));
        _backoff[key] = new PullBackoff(now + delay, delay, now, failure);
        events.Event(pod, "Warning", "Failed", $"Failed to pull image \"{image}\": {failure}");
        return ImagePullResult.Waiting("ErrImagePull", failure);
    }

    /// <summary>Forgets the pull back-off of a pod whose worker has ended.</summary>
    public void RemovePod(string podUid)
    {
        foreach (string key in _backoff.Keys.Where(k => k.StartsWith(podUid + "/", StringComparison.Ordinal)))
        {
            _backoff.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// The pod's imagePullSecrets as a keyring; secrets that cannot be read are left out with the kubelet's
    /// FailedToRetrieveImagePullSecret event, and the pull is still tried. Read from the API at pull time (pulls are
    /// rare): a secret made just before its pod must not miss the pull for a cache that has not caught up yet.
    /// </summary>
    private async Task<PullCredentials> PullSecretsAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var secrets = new List<V1Secret>();
        var missing = new List<string>();
        foreach (V1LocalObjectReference reference in pod.Spec.ImagePullSecrets ?? [])
        {
            if (string.IsNullOrEmpty(reference.Name))
            {
                continue;
            }

            try
            {
                secrets.Add(await client.CoreV1.ReadNamespacedSecretAsync(reference.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                missing.Add(reference.Name);
            }
        }

        if (missing.Count > 0)
        {
            events.Event(pod, "Warning", "FailedToRetrieveImagePullSecret", $"Unable to retrieve some image pull secrets ({string.Join(", ", missing)}); attempting to pull the image may not succeed.");
        }

        return PullCredentials.From(secrets);
    }

    /// <summary>One image's pull back-off: no new pull before <see cref="Until"/>.</summary>
    private sealed record PullBackoff(DateTimeOffset Until, TimeSpan Delay, DateTimeOffset FailedAt, string? Failure);
}
