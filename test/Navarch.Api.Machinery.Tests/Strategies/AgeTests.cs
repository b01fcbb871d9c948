using Navarch.Api.Strategies;

namespace Navarch.Api.Machinery.Tests.Strategies;

[Trait("Category", "Unit")]
public sealed class AgeTests
{
    [Theory]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(182, "3m2s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 60, "3h1m")]
    [InlineData(10 * 3600, "10h")]
    [InlineData(51 * 3600, "2d3h")]
    [InlineData(30 * 86400, "30d")]
    public void Ages_print_like_kubectl(int seconds, string expected) =>
        Assert.Equal(expected, Age.Human(TimeSpan.FromSeconds(seconds)));
}
