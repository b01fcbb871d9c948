using Navarch.Proxy.NetworkPolicy.Model;

namespace Navarch.Proxy.Tests.NetworkPolicy;

[Trait("Category", "Unit")]
public sealed class IpRangeSetTests
{
    public static TheoryData<string, string[], string> Subtractions() => new()
    {
        { "10.0.0.0/8", [], "10.0.0.0-10.255.255.255" },
        { "10.0.0.0/8", ["10.1.0.0/16"], "10.0.0.0-10.0.255.255 10.2.0.0-10.255.255.255" },
        { "10.0.0.0/8", ["10.0.0.0/16", "10.255.0.0/16"], "10.1.0.0-10.254.255.255" },
        { "10.0.0.0/8", ["10.0.0.0/8"], "" },
        { "10.0.0.0/24", ["10.0.0.1/32", "10.0.0.0/25"], "10.0.0.128-10.0.0.255" },
        { "0.0.0.0/0", ["255.255.255.255/32"], "0.0.0.0-255.255.255.254" },
        { "0.0.0.0/0", ["0.0.0.0/32"], "0.0.0.1-255.255.255.255" },
        { "192.168.1.7/24", [], "192.168.1.0-192.168.1.255" },
    };

    [Theory]
    [MemberData(nameof(Subtractions))]
    public void An_ipBlock_is_its_cidr_less_its_excepts(string cidr, string[] except, string expected)
    {
        List<IpRange> left = IpRangeSet.Subtract(IpRange.ParseCidr(cidr)!.Value, except.Select(e => IpRange.ParseCidr(e)!.Value));
        Assert.Equal(expected, string.Join(' ', left));
    }

    [Fact]
    public void Union_sorts_and_joins_overlapping_and_adjacent_ranges()
    {
        List<IpRange> union = IpRangeSet.Union(new[] { "10.0.0.5/32", "10.0.0.0/30", "10.0.0.4/32", "10.1.0.0/16", "10.1.2.0/24" }.Select(c => IpRange.ParseCidr(c)!.Value));
        Assert.Equal("10.0.0.0-10.0.0.5 10.1.0.0-10.1.255.255", string.Join(' ', union));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0/8")]
    [InlineData("fd00::/8")]
    [InlineData("")]
    [InlineData("10.0.0.0/x")]
    public void Malformed_or_IPv6_cidrs_are_no_range(string cidr) => Assert.Null(IpRange.ParseCidr(cidr));
}
