using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Tests;

/// <summary>Image references split as docker's reference package normalizes them.</summary>
[Trait("Category", "Unit")]
public sealed class ImageNameTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", null, null)]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", null)]
    [InlineData("rancher/k3s", "docker.io", "rancher/k3s", null, null)]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", null, null)]
    [InlineData("localhost/app:1", "localhost", "app", "1", null)]
    [InlineData("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app", null, null)]
    [InlineData("registry.k8s.io/pause:3.10@sha256:ab", "registry.k8s.io", "pause", "3.10", "sha256:ab")]
    [InlineData("host:5000/app@sha256:ab", "host:5000", "app", null, "sha256:ab")]
    public void A_reference_splits_into_domain_path_tag_and_digest(string reference, string domain, string path, string? tag, string? digest)
    {
        Assert.Equal(new ImageName(domain, path, tag, digest), ImageName.Parse(reference));
    }

    [Fact]
    public void The_full_name_is_what_the_runtime_stores()
    {
        Assert.Equal("docker.io/library/busybox:1.36", ImageName.Parse("busybox:1.36").ToString());
        Assert.Equal("docker.io/library/busybox@sha256:ab", ImageName.Parse("busybox@sha256:ab").ToString());
    }
}
