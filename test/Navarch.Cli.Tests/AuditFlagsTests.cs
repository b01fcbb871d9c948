using System.CommandLine;
using Navarch.ApiServer.Audit;
using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary>kube-apiserver's audit flags on <c>navarch server</c>: what they become, and negative counts refused at parse time with kube-apiserver's words.</summary>
[Trait("Category", "Unit")]
public sealed class AuditFlagsTests
{
    private static (ParseResult Parse, AuditOptions Options) Parse(params string[] args)
    {
        var flags = new AuditFlags();
        var command = new RootCommand();
        flags.AddTo(command);
        ParseResult parse = command.Parse(args);
        return (parse, flags.Options(parse));
    }

    [Fact]
    public void The_flags_become_the_audit_options()
    {
        (ParseResult parse, AuditOptions options) = Parse("--audit-policy-file", "/etc/navarch/audit.yaml", "--audit-log-path", "/var/log/navarch/audit.log", "--audit-log-maxage", "30", "--audit-log-maxbackup", "10", "--audit-log-maxsize", "100");
        Assert.Empty(parse.Errors);
        Assert.Equal(("/etc/navarch/audit.yaml", "/var/log/navarch/audit.log", 30, 10, 100), (options.PolicyFile, options.LogPath, options.MaxAge, options.MaxBackup, options.MaxSize));
        Assert.Empty(options.Validate());

        // None given: auditing is off, and the sizes are lumberjack's defaults (0).
        (parse, options) = Parse();
        Assert.Empty(parse.Errors);
        Assert.Equal((null, null, 0, 0, 0), (options.PolicyFile, options.LogPath, options.MaxAge, options.MaxBackup, options.MaxSize));
    }

    [Theory]
    [InlineData("--audit-log-maxage")]
    [InlineData("--audit-log-maxbackup")]
    [InlineData("--audit-log-maxsize")]
    public void A_negative_count_is_refused(string flag)
    {
        (ParseResult parse, _) = Parse(flag, "-1");
        Assert.Contains(parse.Errors, e => e.Message == $"{flag} -1 can't be a negative number");
    }
}
