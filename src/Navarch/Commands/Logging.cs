using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Navarch.Commands;

/// <summary>The console logging every command uses, as console lines or JSON lines (<c>--log-format</c>).</summary>
internal static class Logging
{
    /// <summary><c>--log-format</c>, on the root command and every command under it.</summary>
    public static Option<string> FormatOption { get; } = CreateFormatOption();

    /// <summary>The format chosen for this process (set once the command line is parsed).</summary>
    public static string Format { get; set; } = "console";

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
            });
        }

        b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
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
}
