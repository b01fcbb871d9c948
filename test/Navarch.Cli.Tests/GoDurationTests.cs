using Navarch.Commands.Token;

namespace Navarch.Cli.Tests;

/// <summary>The --ttl syntax of `navarch token create`: Go durations.</summary>
[Trait("Category", "Unit")]
public sealed class GoDurationTests
{
    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    [InlineData("0", 0)]
    [InlineData("1.5h", 5400)]
    public void Ttl_uses_go_durations(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), GoDuration.Parse(text));

    [Theory]
    [InlineData("24")]
    [InlineData("1d")]
    [InlineData("h")]
    [InlineData("1h 30m")]
    public void Bad_durations_are_refused(string text) =>
        Assert.Throws<FormatException>(() => GoDuration.Parse(text));
}
