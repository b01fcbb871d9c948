using Navarch.Api.Apiextensions;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class KubeAwareVersionsTests
{
    [Fact]
    public void Versions_sort_as_kubernetes_prefers_them() =>
        Assert.Equal(
            ["v10", "v2", "v1", "v11beta2", "v10beta3", "v3beta1", "v12alpha1", "v11alpha2", "foo1", "foo10"],
            new[] { "v11alpha2", "foo10", "v1", "v10beta3", "foo1", "v3beta1", "v12alpha1", "v2", "v11beta2", "v10" }.OrderByDescending(v => v, KubeAwareVersions.Comparer));
}
