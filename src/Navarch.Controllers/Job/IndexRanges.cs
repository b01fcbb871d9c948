using System.Globalization;
using System.Text;

namespace Navarch.Controllers.Job;

/// <summary>
/// The compressed index lists of an Indexed Job's status (<c>completedIndexes</c>): sorted, with runs of consecutive
/// indexes written as ranges, e.g. <c>"0-2,5,7-8"</c>.
/// </summary>
internal static class IndexRanges
{
    /// <summary>Parses a compressed list, keeping indexes below <paramref name="limit"/>; malformed parts are skipped.</summary>
    public static SortedSet<int> Parse(string? text, int limit)
    {
        var indexes = new SortedSet<int>();
        foreach (string part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] bounds = part.Split('-');
            if (bounds.Length is < 1 or > 2
                || !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first)
                || !int.TryParse(bounds[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int last))
            {
                continue;
            }

            for (int i = first; i <= last && i < limit; i++)
            {
                indexes.Add(i);
            }
        }

        return indexes;
    }

    /// <summary>Writes <paramref name="indexes"/> compressed; empty for none.</summary>
    public static string Format(IEnumerable<int> indexes)
    {
        var text = new StringBuilder();
        int? start = null;
        int previous = 0;
        foreach (int i in indexes.Distinct().Order())
        {
            if (start is not null && i == previous + 1)
            {
                previous = i;
                continue;
            }

            Append(text, start, previous);
            start = i;
            previous = i;
        }

        Append(text, start, previous);
        return text.ToString();
    }

    private static void Append(StringBuilder text, int? start, int end)
    {
        if (start is not { } first)
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append(',');
        }

        text.Append(first.ToString(CultureInfo.InvariantCulture));
        if (end > first)
        {
            text.Append('-').Append(end.ToString(CultureInfo.InvariantCulture));
        }
    }
}
