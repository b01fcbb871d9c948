using System.CommandLine;
using Navarch.Commands;
using Navarch.Commands.Token;

namespace Navarch.Cli.Tests;

/// <summary>Flags whose values are checked at parse time, so a typo stops the command before it starts anything.</summary>
[Trait("Category", "Unit")]
public sealed class FlagValidationTests
{
    private static ParseResult Parse(Option option, params string[] args)
    {
        var command = new RootCommand { option };
        return command.Parse(args);
    }

    [Theory]
    [InlineData("192.0.2.7", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("", true)]
    [InlineData("not-an-ip", false)]
    [InlineData("::1", false)]
    [InlineData("300.1.1.1", false)]
    public void Node_ip_takes_an_IPv4_address(string value, bool valid)
    {
        ParseResult parse = Parse(KubeletCommand.NodeIpOption(), "--node-ip", value);
        Assert.Equal(valid, parse.Errors.Count == 0);
        if (!valid)
        {
            Assert.Contains(parse.Errors, e => e.Message.Contains($"--node-ip {value} is not an IPv4 address", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Node_ip_is_normalised()
    {
        Assert.Equal("10.0.0.1", KubeletCommand.ParseNodeIp("10.0.0.1"));
        Assert.Null(KubeletCommand.ParseNodeIp(null));
        Assert.Null(KubeletCommand.ParseNodeIp("fe80::1"));
    }

    [Theory]
    [InlineData("40s", true)]
    [InlineData("1m30s", true)]
    [InlineData("forty", false)]
    [InlineData("40", false)]
    public void Durations_are_go_durations(string value, bool valid)
    {
        ParseResult parse = Parse(GoDuration.Option("--node-monitor-grace-period", "grace", "40s"), "--node-monitor-grace-period", value);
        Assert.Equal(valid, parse.Errors.Count == 0);
        if (!valid)
        {
            Assert.Contains(parse.Errors, e => e.Message.StartsWith("--node-monitor-grace-period: invalid duration", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_default_duration_parses()
    {
        ParseResult parse = Parse(GoDuration.Option("--node-monitor-grace-period", "grace", "40s"));
        Assert.Empty(parse.Errors);
        Assert.Equal(TimeSpan.FromSeconds(40), GoDuration.Parse(parse.GetValue<string>("--node-monitor-grace-period")!));
    }
}
