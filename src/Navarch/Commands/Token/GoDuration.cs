using System.Globalization;
using System.Text.RegularExpressions;

namespace Navarch.Commands.Token;

/// <summary>Go's duration syntax for flags like <c>--ttl 24h</c>: a sequence of number+unit (h, m, s, ms), or 0.</summary>
internal static partial class GoDuration
{
    /// <summary>A flag holding a Go duration, refused at parse time when it is not one.</summary>
    public static System.CommandLine.Option<string> Option(string name, string description, string defaultValue)
    {
        var option = new System.CommandLine.Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            try
            {
                Parse(result.GetValueOrDefault<string>() ?? "");
            }
            catch (FormatException e)
            {
                result.AddError($"{name}: {e.Message}");
            }
        });
        return option;
    }

    /// <summary>Parses <paramref name="text"/>, e.g. <c>24h</c>, <c>1h30m</c>, <c>90s</c>, <c>0</c>.</summary>
    /// <exception cref="FormatException">Not a duration.</exception>
    public static TimeSpan Parse(string text)
    {
        text = text.Trim();
        if (text == "0")
        {
            return TimeSpan.Zero;
        }

        MatchCollection parts = Part().Matches(text);
        if (parts.Count == 0 || parts.Sum(m => m.Length) != text.Length)
        {
            throw new FormatException($"invalid duration \"{text}\" (examples: 24h, 1h30m, 90s)");
        }

        TimeSpan total = TimeSpan.Zero;
        foreach (Match m in parts)
        {
            double value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                _ => TimeSpan.FromMilliseconds(value),
            };
        }

        return total;
    }

    /// <summary>A duration the way kubeadm prints TTLs: <c>23h</c>, <c>59m</c>, <c>42s</c>.</summary>
    public static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h" : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m" : $"{Math.Max(0, (int)span.TotalSeconds)}s";

    [GeneratedRegex("([0-9]+(?:\\.[0-9]+)?)(ms|h|m|s)")]
    private static partial Regex Part();
}
