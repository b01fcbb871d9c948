using Navarch.Controllers.NodeIpam;

namespace Navarch.Controllers.Tests;

/// <summary>The node IPAM's subnet set on its own.</summary>
[Trait("Category", "Unit")]
public sealed class CidrSetTests
{
    [Fact]
    public void The_subnet_set_skips_taken_subnets_and_wraps_around()
    {
        var set = new CidrSet("10.42.0.0/22", 24);
        Assert.Equal(4, set.Capacity);
        Assert.True(set.Occupy("10.42.1.0/24"));
        Assert.False(set.Occupy("10.43.0.0/24"));
        Assert.False(set.Occupy("10.42.0.128/24"));
        Assert.Equal("10.42.0.0/24", set.Allocate());
        Assert.Equal("10.42.2.0/24", set.Allocate());
        Assert.Equal("10.42.3.0/24", set.Allocate());
        Assert.Null(set.Allocate());
        Assert.True(set.Release("10.42.1.0/24"));
        Assert.Equal("10.42.1.0/24", set.Allocate());
    }
}
