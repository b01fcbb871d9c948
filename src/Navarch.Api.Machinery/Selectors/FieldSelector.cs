namespace Navarch.Api.Selectors;

/// <summary>
/// A parsed field selector (<c>fields.ParseSelector</c>): <c>a=b</c>, <c>a==b</c>, <c>a!=b</c> joined by commas, with
/// <c>\,</c>, <c>\=</c> and <c>\!</c> escapes. Fields must be among those the resource supports.
/// </summary>
public sealed class FieldSelector
{
    private FieldSelector(List<(string Field, bool Equal, string Value)> terms) => Terms = terms;

    /// <summary>Selects everything.</summary>
    public static FieldSelector Everything { get; } = new([]);

    /// <summary>The requirements: field, whether it is an equality, and the value.</summary>
    public IReadOnlyList<(string Field, bool Equal, string Value)> Terms { get; }

    /// <summary>Parses a selector.</summary>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string, bool, string)>();
        foreach (string part in SplitUnescaped(text, ','))
        {
            int at = IndexOfOperator(part, out string op);
            if (at <= 0)
            {
                throw ApiErrors.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            }

            terms.Add((Unescape(part[..at].Trim()), op != "!=", Unescape(part[(at + op.Length)..].Trim())));
        }

        return new FieldSelector(terms);
    }

    /// <summary>Throws 400 unless every field is in <paramref name="supported"/>.</summary>
    public void CheckSupported(IEnumerable<string> supported)
    {
        var set = supported.ToHashSet(StringComparer.Ordinal);
        foreach ((string field, _, _) in Terms)
        {
            if (!set.Contains(field))
            {
                throw ApiErrors.BadRequest($"field label not supported: {field}");
            }
        }
    }

    /// <summary>
    /// The value a <c>field=value</c> requirement pins <paramref name="field"/> to, or null (fields.Selector's
    /// RequiresExactMatch): what lets a list or watch of one object, or of one node's pods, be authorized as such.
    /// </summary>
    public string? RequiresExactMatch(string field)
    {
        foreach ((string f, bool equal, string value) in Terms)
        {
            if (equal && f == field)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="fields"/> satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> fields) =>
        Terms.All(t => (fields.TryGetValue(t.Field, out string? v) ? v : "") == t.Value == t.Equal);

    private static int IndexOfOperator(string part, out string op)
    {
        for (int i = 0; i < part.Length; i++)
        {
            if (part[i] == '\\')
            {
                i++;
                continue;
            }

            if (part[i] == '!' && i + 1 < part.Length && part[i + 1] == '=')
            {
                op = "!=";
                return i;
            }

            if (part[i] == '=')
            {
                op = i + 1 < part.Length && part[i + 1] == '=' ? "==" : "=";
                return i;
            }
        }

        op = "";
        return -1;
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private static string Unescape(string s) =>
        s.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\=", "=", StringComparison.Ordinal).Replace("\\!", "!", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
