using System.Globalization;
using System.Text;
using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>The wording and traversal every check shares (pod-security-admission's helpers.go and visitor.go).</summary>
internal static class CheckHelpers
{
    /// <summary>Every container of the pod: init containers, then containers, then ephemeral containers.</summary>
    public static IEnumerable<ContainerSecurity> Containers(V1PodSpec spec)
    {
        foreach (V1Container c in spec.InitContainers ?? [])
        {
            yield return new ContainerSecurity(c.Name, c.SecurityContext, c.Ports);
        }

        foreach (V1Container c in spec.Containers ?? [])
        {
            yield return new ContainerSecurity(c.Name, c.SecurityContext, c.Ports);
        }

        foreach (V1EphemeralContainer c in spec.EphemeralContainers ?? [])
        {
            yield return new ContainerSecurity(c.Name, c.SecurityContext, c.Ports);
        }
    }

    /// <summary><c>"a", "b"</c>.</summary>
    public static string JoinQuote(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 0 ? "" : "\"" + string.Join("\", \"", list) + "\"";
    }

    public static string Pluralize(string singular, string plural, int count) => count == 1 ? singular : plural;

    /// <summary>"container \"a\"" or "containers \"a\", \"b\"".</summary>
    public static string Containers(IReadOnlyCollection<string> names) => $"{Pluralize("container", "containers", names.Count)} {JoinQuote(names)}";

    /// <summary>The distinct values in byte order, as Go's sets.String.List().</summary>
    public static List<string> SortedSet(IEnumerable<string> values)
    {
        var list = values.Distinct(StringComparer.Ordinal).ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    /// <summary>Windows pods (spec.os.name) are exempt from the Linux-only restricted controls from v1.25 on.</summary>
    public static bool IsWindows(V1PodSpec spec) => spec.Os?.Name == "windows";

    /// <summary>A string quoted as Go's %q prints it, for the annotation values in messages.</summary>
    public static string GoQuote(string value)
    {
        var b = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    b.Append("\\\"");
                    break;
                case '\\':
                    b.Append("\\\\");
                    break;
                case '\n':
                    b.Append("\\n");
                    break;
                case '\t':
                    b.Append("\\t");
                    break;
                case '\r':
                    b.Append("\\r");
                    break;
                case < ' ':
                    b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    b.Append(c);
                    break;
            }
        }

        return b.Append('"').ToString();
    }
}
