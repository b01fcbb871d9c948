using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Navarch.Commands;

/// <summary>
/// The logging every command uses: console lines or JSON lines (<c>--log-format</c>), at the level <c>--debug</c> or
/// klog's <c>-v N</c> asks for, to the terminal or, as k3s's <c>--log</c>, appended to a file.
/// </summary>
internal static class Logging
{
    /// <summary><c>--log-format</c>, on the root command and every command under it.</summary>
    public static Option<string> FormatOption { get; } = CreateFormatOption();

    /// <summary><c>--debug</c>: debug logs (as <c>-v 4</c>).</summary>
    public static Option<bool> DebugOption { get; } = new("--debug") { Description = "Turn on debug logs", Recursive = true };

    /// <summary>
    /// <c>-v N</c>, klog's verbosity: 0–3 information, 4–5 debug, 6 and above trace (with ASP.NET Core's own logs).
    /// </summary>
    public static Option<int> VerbosityOption { get; } = CreateVerbosityOption();

    /// <summary><c>--log FILE</c>: everything the process prints is appended to FILE (created 0600) instead.</summary>
    public static Option<string?> FileOption { get; } = new("--log") { Description = "Log to this file (appended; created with mode 0600) instead of the terminal", Recursive = true };

    /// <summary>The format chosen for this process (set once the command line is parsed).</summary>
    public static string Format { get; set; } = "console";

    /// <summary>The least level written (set once the command line is parsed).</summary>
    public static LogLevel Level { get; set; } = LogLevel.Information;

    /// <summary>Whether output goes to a file (no terminal colours then).</summary>
    private static bool ToFile { get; set; }

    /// <summary>
    /// Applies the parsed logging options to this process; false with a one-line error on stderr when the log file
    /// cannot be opened.
    /// </summary>
    public static bool Configure(ParseResult parse)
    {
        Format = parse.GetValue(FormatOption) ?? "console";
        int verbosity = parse.GetValue(VerbosityOption);
        Level = verbosity >= 6 ? LogLevel.Trace : parse.GetValue(DebugOption) || verbosity >= 4 ? LogLevel.Debug : LogLevel.Information;
        if (parse.GetValue(FileOption) is not { Length: > 0 } path)
        {
            return true;
        }

        try
        {
            var file = new FileStream(Path.GetFullPath(path), new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            var writer = new StreamWriter(file) { AutoFlush = true };
            Console.SetOut(writer);
            Console.SetError(writer);
            ToFile = true;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Console.Error.WriteLine($"navarch: cannot open the log file {path}: {e.Message}");
            return false;
        }
    }

    public static ILoggerFactory Create() => LoggerFactory.Create(b =>
    {
        if (Format == "json")
        {
            b.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = ToFile ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
            });
        }

        b.SetMinimumLevel(Level).AddFilter("Microsoft.AspNetCore", Level == LogLevel.Trace ? LogLevel.Trace : LogLevel.Warning);
    });

    private static Option<string> CreateFormatOption()
    {
        var option = new Option<string>("--log-format")
        {
            Description = "Log output: console (one line per entry) or json (one JSON object per line)",
            DefaultValueFactory = _ => "console",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong("console", "json");
        return option;
    }

    private static Option<int> CreateVerbosityOption()
    {
        var option = new Option<int>("-v", "--v") { Description = "Number for the log level verbosity (klog's: 4 debug, 6 trace)", Recursive = true };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 10)
            {
                r.AddError("-v must be between 0 and 10");
            }
        });
        return option;
    }
}
