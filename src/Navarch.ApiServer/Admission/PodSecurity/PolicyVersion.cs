using System.Globalization;
using System.Text.RegularExpressions;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// The version of the Pod Security Standards a namespace pins (<c>v1.25</c>), or <c>latest</c>: the checks as they
/// were in that Kubernetes minor (pod-security-admission's <c>api.Version</c>). Only major 1 exists.
/// </summary>
internal readonly partial record struct PolicyVersion(int Minor, bool IsLatest)
{
    /// <summary>The error detail of a label value that is not a version.</summary>
    public const string Invalid = "must be \"latest\" or \"v1.x\"";

    /// <summary><c>latest</c>: the newest checks this server knows.</summary>
    public static PolicyVersion Latest => new(0, true);

    /// <summary><c>v1.minor</c>.</summary>
    public static PolicyVersion V1(int minor) => new(minor, false);

    /// <summary>The version a label value names, or null.</summary>
    public static PolicyVersion? Parse(string value)
    {
        if (value == "latest")
        {
            return Latest;
        }

        Match match = VersionPattern().Match(value);
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int minor) ? V1(minor) : null;
    }

    /// <summary>True when this version is older than <paramref name="other"/>; latest is newer than every version.</summary>
    public bool OlderThan(PolicyVersion other) => !IsLatest && (other.IsLatest || Minor < other.Minor);

    /// <inheritdoc />
    public override string ToString() => IsLatest ? "latest" : "v1." + Minor.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^v1\\.([0-9]|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
