using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Navarch.Api.Cel;

/// <summary>
/// The functions of Kubernetes' CEL libraries that rules commonly use and the package lacks: the strings extension
/// (<c>charAt</c>, <c>indexOf</c>, <c>lastIndexOf</c>, <c>lowerAscii</c>, <c>upperAscii</c>, <c>replace</c>, <c>split</c>,
/// <c>substring</c>, <c>trim</c>, <c>join</c>), Kubernetes' list library (<c>isSorted</c>, <c>sum</c>, <c>min</c>,
/// <c>max</c>, <c>indexOf</c>, <c>lastIndexOf</c>) and regex library (<c>find</c>, <c>findAll</c>). Indices count UTF-16
/// code units (cel-go counts code points; they agree on the BMP).
/// </summary>
internal static class CelKubernetesLibrary
{
    /// <summary>The names this library adds, for the compile-time check of function names.</summary>
    public static readonly IReadOnlySet<string> FunctionNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split", "substring", "trim", "join",
        "isSorted", "sum", "min", "max", "find", "findAll",
    };

    /// <summary>The internal name <c>matches</c> calls are compiled to (see CelProgram).</summary>
    public const string BoundedMatches = "navarchMatches";

    // cel-go matches with RE2, in time linear in the input; NonBacktracking is .NET's engine with that guarantee (and,
    // like RE2, it refuses backreferences and lookarounds). The timeout is a last bound on wall time, wide enough that
    // a loaded machine does not fail an ordinary match (100 ms did, at a load average of 100 on 2 cores).
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Regexes = new(StringComparer.Ordinal);

    public static void Register(global::Cel.CelEnvironment env)
    {
        Type s = typeof(string), l = typeof(long), list = typeof(IList), any = typeof(object);

        env.RegisterFunction("charAt", [s, l], a => CharAt(Str(a[0]), Int(a[1])));
        env.RegisterFunction("indexOf", [s, s], a => (long)Str(a[0]).IndexOf(Str(a[1]), StringComparison.Ordinal));
        env.RegisterFunction("indexOf", [s, s, l], a => IndexOf(Str(a[0]), Str(a[1]), Int(a[2])));
        env.RegisterFunction("lastIndexOf", [s, s], a => (long)Str(a[0]).LastIndexOf(Str(a[1]), StringComparison.Ordinal));
        env.RegisterFunction("lastIndexOf", [s, s, l], a => LastIndexOf(Str(a[0]), Str(a[1]), Int(a[2])));
        env.RegisterFunction("lowerAscii", [s], a => LowerAscii(Str(a[0])));
        env.RegisterFunction("upperAscii", [s], a => UpperAscii(Str(a[0])));
        env.RegisterFunction("replace", [s, s, s], a => Replace(Str(a[0]), Str(a[1]), Str(a[2]), -1));
        env.RegisterFunction("replace", [s, s, s, l], a => Replace(Str(a[0]), Str(a[1]), Str(a[2]), Int(a[3])));
        env.RegisterFunction("split", [s, s], a => Split(Str(a[0]), Str(a[1]), -1));
        env.RegisterFunction("split", [s, s, l], a => Split(Str(a[0]), Str(a[1]), Int(a[2])));
        env.RegisterFunction("substring", [s, l], a => Substring(Str(a[0]), Int(a[1]), null));
        env.RegisterFunction("substring", [s, l, l], a => Substring(Str(a[0]), Int(a[1]), Int(a[2])));
        env.RegisterFunction("trim", [s], a => Str(a[0]).Trim());
        env.RegisterFunction("join", [list], a => Join(List(a[0]), ""));
        env.RegisterFunction("join", [list, s], a => Join(List(a[0]), Str(a[1])));

        env.RegisterFunction("isSorted", [list], a => IsSorted(List(a[0])));
        env.RegisterFunction("sum", [list], a => Sum(List(a[0])));
        env.RegisterFunction("min", [list], a => Extreme(List(a[0]), -1));
        env.RegisterFunction("max", [list], a => Extreme(List(a[0]), 1));
        env.RegisterFunction("indexOf", [list, any], a => ListIndexOf(List(a[0]), a[1], last: false));
        env.RegisterFunction("lastIndexOf", [list, any], a => ListIndexOf(List(a[0]), a[1], last: true));

        env.RegisterFunction(BoundedMatches, [s, s], a => Compiled(Str(a[1])).IsMatch(Str(a[0])));
        env.RegisterFunction("find", [s, s], a => Find(Str(a[0]), Str(a[1])));
        env.RegisterFunction("findAll", [s, s], a => FindAll(Str(a[0]), Str(a[1]), -1));
        env.RegisterFunction("findAll", [s, s, l], a => FindAll(Str(a[0]), Str(a[1]), Int(a[2])));
    }

    private static string Str(object? value)
    {
        string text = value as string ?? throw new InvalidOperationException("no such overload");
        CelCostMeter.Charge(1 + (text.Length / 10));
        return text;
    }

    private static long Int(object? value) => value switch
    {
        long l => l,
        int i => i,
        _ => throw new InvalidOperationException("no such overload"),
    };

    private static IList List(object? value)
    {
        var list = value as IList ?? throw new InvalidOperationException("no such overload");
        CelCostMeter.Charge(1 + list.Count);
        return list;
    }

    private static string CharAt(string text, long index) =>
        index < 0 || index > text.Length
            ? throw new InvalidOperationException($"index out of range: {index}")
            : index == text.Length ? "" : text[(int)index].ToString();

    private static long IndexOf(string text, string sub, long offset) =>
        offset < 0 || offset > text.Length
            ? throw new InvalidOperationException($"index out of range: {offset}")
            : text.IndexOf(sub, (int)offset, StringComparison.Ordinal);

    private static long LastIndexOf(string text, string sub, long offset)
    {
        if (offset < 0 || offset >= Math.Max(text.Length, 1))
        {
            throw new InvalidOperationException($"index out of range: {offset}");
        }

        int end = Math.Min(text.Length, (int)offset + sub.Length);
        return text[..end].LastIndexOf(sub, StringComparison.Ordinal);
    }

    private static string LowerAscii(string text) =>
        string.Create(text.Length, text, static (span, t) =>
        {
            for (int i = 0; i < t.Length; i++)
            {
                span[i] = t[i] is >= 'A' and <= 'Z' ? (char)(t[i] + 32) : t[i];
            }
        });

    private static string UpperAscii(string text) =>
        string.Create(text.Length, text, static (span, t) =>
        {
            for (int i = 0; i < t.Length; i++)
            {
                span[i] = t[i] is >= 'a' and <= 'z' ? (char)(t[i] - 32) : t[i];
            }
        });

    private static string Replace(string text, string old, string replacement, long count)
    {
        if (count < 0)
        {
            return old.Length == 0 ? text : text.Replace(old, replacement, StringComparison.Ordinal);
        }

        var result = new System.Text.StringBuilder();
        int at = 0;
        for (long n = 0; n < count && old.Length > 0; n++)
        {
            int found = text.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }

            result.Append(text, at, found - at).Append(replacement);
            at = found + old.Length;
        }

        return result.Append(text, at, text.Length - at).ToString();
    }

    private static object?[] Split(string text, string separator, long limit)
    {
        if (limit == 0)
        {
            return [];
        }

        string[] parts = separator.Length == 0
            ? text.Select(c => c.ToString()).ToArray()
            : limit > 0 ? text.Split(separator, (int)Math.Min(limit, int.MaxValue)) : text.Split(separator);
        if (separator.Length == 0 && limit > 0 && parts.Length > limit)
        {
            parts = [.. parts.Take((int)limit - 1), text[((int)limit - 1)..]];
        }

        return parts.Cast<object?>().ToArray();
    }

    private static string Substring(string text, long start, long? end)
    {
        long stop = end ?? text.Length;
        if (start < 0 || start > text.Length || stop < start || stop > text.Length)
        {
            throw new InvalidOperationException($"index out of range: {(start < 0 || start > text.Length ? start : stop)}");
        }

        return text[(int)start..(int)stop];
    }

    private static string Join(IList list, string separator) =>
        string.Join(separator, list.Cast<object?>().Select(item => item as string ?? throw new InvalidOperationException("join: list must contain strings")));

    private static bool IsSorted(IList list)
    {
        for (int i = 1; i < list.Count; i++)
        {
            if (Compare(list[i - 1], list[i]) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static object Sum(IList list)
    {
        long intSum = 0;
        double doubleSum = 0;
        bool isDouble = false;
        foreach (object? item in list)
        {
            switch (item)
            {
                case long l:
                    intSum = checked(intSum + l);
                    break;
                case int i:
                    intSum = checked(intSum + i);
                    break;
                case double d:
                    isDouble = true;
                    doubleSum += d;
                    break;
                default:
                    throw new InvalidOperationException("sum: list must contain numbers");
            }
        }

        return isDouble ? (object)(doubleSum + intSum) : (object)intSum;
    }

    private static object? Extreme(IList list, int sign)
    {
        if (list.Count == 0)
        {
            throw new InvalidOperationException(sign < 0 ? "min(list) argument must not be empty" : "max(list) argument must not be empty");
        }

        object? best = list[0];
        for (int i = 1; i < list.Count; i++)
        {
            if (Compare(list[i], best) * sign > 0)
            {
                best = list[i];
            }
        }

        return best;
    }

    private static long ListIndexOf(IList list, object? value, bool last)
    {
        long found = -1;
        for (int i = 0; i < list.Count; i++)
        {
            if (ValueEquals(list[i], value))
            {
                found = i;
                if (!last)
                {
                    break;
                }
            }
        }

        return found;
    }

    private static string Find(string text, string pattern)
    {
        var match = Compiled(pattern).Match(text);
        return match.Success ? match.Value : "";
    }

    private static object?[] FindAll(string text, string pattern, long limit) =>
        Compiled(pattern).Matches(text)
            .Take(limit < 0 ? int.MaxValue : (int)Math.Min(limit, int.MaxValue))
            .Select(m => (object?)m.Value)
            .ToArray();

    // Rules use a handful of constant patterns; the cache is bounded so that data-driven patterns cannot grow it.
    private static Regex Compiled(string pattern)
    {
        if (Regexes.TryGetValue(pattern, out var regex))
        {
            return regex;
        }

        regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexTimeout);
        if (Regexes.Count < 1024)
        {
            Regexes.TryAdd(pattern, regex);
        }

        return regex;
    }

    private static bool ValueEquals(object? a, object? b) => a switch
    {
        long or int or double when b is long or int or double => Compare(a, b) == 0,
        _ => Equals(a, b),
    };

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        (long x, long y) => x.CompareTo(y),
        (long or int or double, long or int or double) =>
            Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        _ => throw new InvalidOperationException("no such overload"),
    };
}
