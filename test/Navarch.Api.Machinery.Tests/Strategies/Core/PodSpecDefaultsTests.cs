using Navarch.Api.Strategies.Core;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class PodSpecDefaultsTests
{
    [Theory]
    [InlineData("busybox", "Always")]
    [InlineData("busybox:latest", "Always")]
    [InlineData("busybox:1.35", "IfNotPresent")]
    [InlineData("localhost:5000/busybox", "Always")]
    [InlineData("localhost:5000/busybox:1.35", "IfNotPresent")]
    [InlineData("busybox@sha256:abc", "IfNotPresent")]
    public void Image_pull_policy_defaults_from_the_tag(string image, string policy) =>
        Assert.Equal(policy, PodSpecDefaults.ImagePullPolicyFor(image));
}
