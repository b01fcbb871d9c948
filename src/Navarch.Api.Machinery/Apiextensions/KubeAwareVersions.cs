using System.Globalization;
using System.Text.RegularExpressions;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// Kubernetes' version priority (version.CompareKubeAwareVersionStrings): GA before beta before alpha, higher numbers
/// first (v10 &gt; v2 &gt; v1 &gt; v1beta2 &gt; v1beta1 &gt; v1alpha1), then anything else alphabetically.
/// </summary>
public static partial class KubeAwareVersions
{
    /// <summary>Orders versions by <see cref="Compare"/>.</summary>
    public static IComparer<string> Comparer { get; } = Comparer<string>.Create(Compare);

    /// <summary>Positive when <paramref name="a"/> has the higher priority.</summary>
    public static int Compare(string a, string b)
    {
        (int Major, int Stage, int Minor)? x = Parse(a), y = Parse(b);
        return (x, y) switch
        {
            (null, null) => -string.CompareOrdinal(a, b),
            (null, _) => -1,
            (_, null) => 1,
            ({ } p, { } q) when p.Stage != q.Stage => p.Stage.CompareTo(q.Stage),
            ({ } p, { } q) when p.Major != q.Major => p.Major.CompareTo(q.Major),
            ({ } p, { } q) => p.Minor.CompareTo(q.Minor),
        };
    }

    private static (int Major, int Stage, int Minor)? Parse(string v)
    {
        Match m = KubeVersion().Match(v);
        if (!m.Success)
        {
            return null;
        }

        int major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int stage = m.Groups[2].Value switch { "alpha" => 0, "beta" => 1, _ => 2 };
        int minor = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        return (major, stage, minor);
    }

    [GeneratedRegex("^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$")]
    private static partial Regex KubeVersion();
}
