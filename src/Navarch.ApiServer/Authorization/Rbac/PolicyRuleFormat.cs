using System.Globalization;
using System.Text;
using k8s.Models;

namespace Navarch.ApiServer.Authorization.Rbac;

/// <summary>
/// How Kubernetes prints rules and users in RBAC errors: rbacv1helpers.CompactString
/// (<c>{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}</c>) and Go's <c>%q</c> of strings and string lists.
/// </summary>
internal static class PolicyRuleFormat
{
    /// <summary>The rule as CompactString prints it: only the fields that are set, in Kubernetes' order.</summary>
    public static string CompactString(V1PolicyRule rule)
    {
        var parts = new List<string>();
        void Add(string field, IList<string>? values)
        {
            if (values is { Count: > 0 })
            {
                parts.Add($"{field}:{Quote(values)}");
            }
        }

        Add("APIGroups", rule.ApiGroups);
        Add("Resources", rule.Resources);
        Add("NonResourceURLs", rule.NonResourceURLs);
        Add("ResourceNames", rule.ResourceNames);
        Add("Verbs", rule.Verbs);
        return "{" + string.Join(", ", parts) + "}";
    }

    /// <summary>Go's <c>%q</c> of a string list: <c>["a" "b"]</c>.</summary>
    public static string Quote(IEnumerable<string> values) => "[" + string.Join(" ", values.Select(Quote)) + "]";

    /// <summary>Go's <c>%q</c> of a string: double-quoted, with Go's escapes.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (Rune rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\a': builder.Append("\\a"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\v': builder.Append("\\v"); break;
                default:
                    if (Rune.IsControl(rune))
                    {
                        builder.Append(rune.Value switch
                        {
                            < 0x80 => $"\\x{rune.Value.ToString("x2", CultureInfo.InvariantCulture)}",
                            < 0x10000 => $"\\u{rune.Value.ToString("x4", CultureInfo.InvariantCulture)}",
                            _ => $"\\U{rune.Value.ToString("x8", CultureInfo.InvariantCulture)}",
                        });
                    }
                    else
                    {
                        builder.Append(rune.ToString());
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}
