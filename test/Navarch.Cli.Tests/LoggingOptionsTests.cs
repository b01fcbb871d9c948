using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary><c>--debug</c>, klog's <c>-v N</c> and <c>--log FILE</c>, on every command as on k3s's.</summary>
// Tests that swap Console.Out/Error share a collection, so they never run at the same time.
[Collection("Console")]
[Trait("Category", "Unit")]
public sealed class LoggingOptionsTests
{
    private static ParseResult Parse(params string[] args)
    {
        var root = new RootCommand { Logging.DebugOption, Logging.VerbosityOption, Logging.FileOption, Logging.FormatOption };
        var server = new Command("server");
        server.SetAction(_ => 0);
        root.Subcommands.Add(server);
        return root.Parse(args);
    }

    [Theory]
    [InlineData(new string[] { "server" }, LogLevel.Information)]
    [InlineData(new[] { "server", "--debug" }, LogLevel.Debug)]
    [InlineData(new[] { "server", "-v", "3" }, LogLevel.Information)]
    [InlineData(new[] { "server", "-v", "4" }, LogLevel.Debug)]
    [InlineData(new[] { "server", "--v=6" }, LogLevel.Trace)]
    [InlineData(new[] { "--debug", "server", "-v", "7" }, LogLevel.Trace)]
    public void The_level_follows_debug_and_verbosity(string[] args, LogLevel expected)
    {
        ParseResult parse = Parse(args);
        Assert.Empty(parse.Errors);
        Assert.True(Logging.Configure(parse));
        Assert.Equal(expected, Logging.Level);
        using ILoggerFactory factory = Logging.Create();
        ILogger logger = factory.CreateLogger("test");
        Assert.True(logger.IsEnabled(expected));
        Assert.Equal(expected == LogLevel.Trace, logger.IsEnabled(LogLevel.Trace));
    }

    [Fact]
    public void A_verbosity_out_of_range_is_a_parse_error()
    {
        Assert.Contains(Parse("server", "-v", "11").Errors, e => e.Message == "-v must be between 0 and 10");
    }

    [Fact]
    public void A_log_file_is_appended_to_and_private_and_an_unopenable_one_is_refused()
    {
        TextWriter output = Console.Out, error = Console.Error;
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-log-");
        try
        {
            string path = Path.Combine(dir.FullName, "navarch.log");
            File.WriteAllText(path, "before\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.True(Logging.Configure(Parse("server", "--log", path)));
            using (ILoggerFactory factory = Logging.Create())
            {
                factory.CreateLogger("test").LogInformation("a line for the file");
            }

            Console.Out.Flush();
            Console.SetOut(output);
            Console.SetError(error);
            string written = File.ReadAllText(path);
            Assert.StartsWith("before\n", written, StringComparison.Ordinal);
            Assert.Contains("a line for the file", written, StringComparison.Ordinal);
            Assert.DoesNotContain("\u001b[", written, StringComparison.Ordinal);

            string fresh = Path.Combine(dir.FullName, "fresh.log");
            Assert.True(Logging.Configure(Parse("server", "--log", fresh)));
            Console.SetOut(output);
            Console.SetError(error);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fresh));

            using var captured = new StringWriter();
            Console.SetError(captured);
            Assert.False(Logging.Configure(Parse("server", "--log", Path.Combine(dir.FullName, "missing", "x.log"))));
            Assert.StartsWith("navarch: cannot open the log file ", captured.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
            Logging.Configure(Parse("server"));
            dir.Delete(recursive: true);
        }
    }
}
