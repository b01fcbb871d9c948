using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// An in-memory CRI image service for unit tests (as kubelet's fake_image_service.go): images by name and ID, pulls
/// recorded, and pulls of an image refused with the runtime's message while the test says so.
/// </summary>
internal sealed class FakeImageService : IImageService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Image> _images = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);
    private readonly List<(string Image, AuthConfig? Auth)> _pulls = [];

    /// <summary>The pulls asked for, in order.</summary>
    public IReadOnlyList<(string Image, AuthConfig? Auth)> Pulls
    {
        get
        {
            lock (_lock)
            {
                return [.. _pulls];
            }
        }
    }

    /// <summary>Makes <paramref name="name"/> present (as an import would), with the user it runs as.</summary>
    public Image Add(string name, long? uid = null)
    {
        lock (_lock)
        {
            var image = new Image { Id = IdOf(name), Size = 1024 };
            image.RepoTags.Add(name);
            if (uid is long u)
            {
                image.Uid = new Int64Value { Value = u };
            }

            _images[name] = image;
            return image;
        }
    }

    /// <summary>Refuses pulls of <paramref name="name"/> with <paramref name="message"/> (null: pulls succeed again).</summary>
    public void FailPulls(string name, string? message)
    {
        lock (_lock)
        {
            if (message is null)
            {
                _failures.Remove(name);
            }
            else
            {
                _failures[name] = message;
            }
        }
    }

    public Task<IReadOnlyList<Image>> ListImagesAsync(ImageFilter? filter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<Image>>([.. _images.Values.Select(i => i.Clone())]);
        }
    }

    public Task<Image?> ImageStatusAsync(ImageSpec image, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Image? found = _images.TryGetValue(image.Image, out Image? byName) ? byName : _images.Values.FirstOrDefault(i => i.Id == image.Image);
            return Task.FromResult(found?.Clone());
        }
    }

    public Task<string> PullImageAsync(ImageSpec image, AuthConfig? auth, PodSandboxConfig? sandboxConfig, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _pulls.Add((image.Image, auth));
            if (_failures.TryGetValue(image.Image, out string? message))
            {
                return Task.FromException<string>(new RpcException(new Grpc.Core.Status(StatusCode.Unknown, message)));
            }
        }

        return Task.FromResult(Add(image.Image).Id);
    }

    private static string IdOf(string name) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
