using System.CommandLine;
using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary><c>navarch agent --server</c>: several servers, repeated or comma-separated, each an https URL.</summary>
[Trait("Category", "Unit")]
public sealed class AgentServerFlagTests
{
    [Fact]
    public void Servers_are_repeated_or_comma_separated()
    {
        Assert.Equal(["https://10.0.0.1:6443", "https://10.0.0.2:6443", "https://10.0.0.3:6443"], JoinOptions.Split(["https://10.0.0.1:6443, https://10.0.0.2:6443/", "https://10.0.0.3:6443", ""]));
        Assert.Empty(JoinOptions.Split(null));
    }

    [Theory]
    [InlineData(new[] { "--server", "https://10.0.0.1:6443,https://10.0.0.2:6443", "--token", "t" }, null)]
    [InlineData(new[] { "--server", "https://10.0.0.1:6443", "--server", "https://10.0.0.2:6443", "--token", "t", "--lb-server-port", "0" }, null)]
    [InlineData(new[] { "--server", "https://10.0.0.1:6443,http://10.0.0.2:6443", "--token", "t" }, "--server http://10.0.0.2:6443 is not an https URL")]
    [InlineData(new[] { "--server", "10.0.0.1", "--token", "t" }, "--server 10.0.0.1 is not an https URL")]
    [InlineData(new[] { "--token", "t" }, "give --kubeconfig, or --server with --token")]
    public void The_agent_checks_its_servers_at_parse_time(string[] args, string? error)
    {
        ParseResult parse = KubeletCommand.Create("agent", "test", withProxy: true).Parse(args);
        if (error is null)
        {
            Assert.Empty(parse.Errors);
        }
        else
        {
            Assert.Contains(parse.Errors, e => e.Message.Contains(error, StringComparison.Ordinal));
        }
    }
}
