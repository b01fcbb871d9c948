using System.Globalization;

namespace Navarch.Api.Logging;

/// <summary>
/// Log timestamps as nanoseconds since the Unix epoch: parsed from RFC 3339 with up to nine fractional digits (what
/// containerd writes; .NET's parser keeps seven) and written back as Kubernetes' RFC3339NanoFixed in UTC.
/// </summary>
public static class LogTime
{
    private const long NanosPerTick = 100;

    /// <summary>Parses <paramref name="text"/>; false when it is not RFC 3339.</summary>
    public static bool TryParse(string text, out long unixNanos)
    {
        unixNanos = 0;
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        string whole = text;
        long extra = 0;
        if (dot >= 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            string digits = text[(dot + 1)..end];
            if (digits.Length is 0 or > 9)
            {
                return false;
            }

            extra = long.Parse(digits.PadRight(9, '0'), NumberStyles.None, CultureInfo.InvariantCulture);
            whole = text[..dot] + text[end..];
        }

        if (!DateTimeOffset.TryParseExact(whole, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss'Z'"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time))
        {
            return false;
        }

        unixNanos = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * NanosPerTick + extra;
        return true;
    }

    /// <summary>The instant of <paramref name="time"/> in nanoseconds since the epoch.</summary>
    public static long FromDateTimeOffset(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * NanosPerTick;

    /// <summary><paramref name="unixNanos"/> as <c>2006-01-02T15:04:05.000000000Z</c>.</summary>
    public static string Format(long unixNanos)
    {
        long seconds = Math.DivRem(unixNanos, 1_000_000_000L, out long nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            + "." + nanos.ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }
}
