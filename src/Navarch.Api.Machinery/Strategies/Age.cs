namespace Navarch.Api.Strategies;

/// <summary>Kubernetes' <c>duration.HumanDuration</c>, as every AGE column prints it.</summary>
public static class Age
{
    /// <summary>The age of something created at <paramref name="created"/>, or "&lt;unknown&gt;".</summary>
    public static string Of(DateTime? created, DateTimeOffset now) =>
        created is { } c ? Human(now - new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc))) : "<unknown>";

    /// <summary>Formats a duration: 5s, 3m2s, 10m, 4h, 2d3h, 8d, 3y45d.</summary>
    public static string Human(TimeSpan d)
    {
        if (d < TimeSpan.FromSeconds(-1))
        {
            return "<invalid>";
        }

        long seconds = Math.Max(0, (long)d.TotalSeconds);
        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        long minutes = seconds / 60;
        if (minutes < 10)
        {
            long s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        long hours = minutes / 60;
        if (hours < 8)
        {
            long m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            long h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            long dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }

        return $"{hours / 24 / 365}y";
    }
}
