using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Selectors;

/// <summary>
/// A parsed label selector in Kubernetes' string syntax (<c>labels.Parse</c>): <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>,
/// <c>a in (x,y)</c>, <c>a notin (x,y)</c>, <c>a</c>, <c>!a</c>, joined by commas. All requirements must hold.
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    /// <summary>Selects everything.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>True when there are no requirements.</summary>
    public bool IsEverything => _requirements.Count == 0;

    /// <summary>Parses a selector; invalid input is a 400 with Kubernetes' wording.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (string raw in SplitTopLevel(text))
        {
            string part = raw.Trim();
            if (part.Length == 0)
            {
                throw ApiErrors.BadRequest($"unable to parse requirement: found '', expected: identifier");
            }

            requirements.Add(ParseRequirement(part));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>
    /// The selector a <c>metav1.LabelSelector</c> stands for (Kubernetes' <c>LabelSelectorAsSelector</c>): every
    /// matchLabels pair and every matchExpressions requirement must hold; an unknown operator matches nothing.
    /// </summary>
    public static LabelSelector From(V1LabelSelector selector)
    {
        var requirements = new List<Requirement>();
        foreach ((string key, string value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            requirements.Add(new Requirement(key, "=", [value]));
        }

        foreach (V1LabelSelectorRequirement r in selector.MatchExpressions ?? [])
        {
            string op = r.OperatorProperty switch { "In" => "in", "NotIn" => "notin", "Exists" => "exists", "DoesNotExist" => "!", _ => "" };
            requirements.Add(new Requirement(r.Key, op, r.Values?.ToArray() ?? []));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>Whether <paramref name="labels"/> satisfy every requirement.</summary>
    public bool Matches(IDictionary<string, string>? labels)
    {
        foreach (Requirement r in _requirements)
        {
            string? value = null;
            bool has = labels is not null && labels.TryGetValue(r.Key, out value);
            bool ok = r.Op switch
            {
                "=" => has && r.Values.Contains(value!),
                "!=" => !has || !r.Values.Contains(value!),
                "in" => has && r.Values.Contains(value!),
                "notin" => !has || !r.Values.Contains(value!),
                "exists" => has,
                "!" => !has,
                ">" => has && long.TryParse(value, out long g) && g > long.Parse(r.Values[0], System.Globalization.CultureInfo.InvariantCulture),
                "<" => has && long.TryParse(value, out long l) && l < long.Parse(r.Values[0], System.Globalization.CultureInfo.InvariantCulture),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static Requirement ParseRequirement(string part)
    {
        if (part.StartsWith('!'))
        {
            return new Requirement(CheckKey(part[1..].Trim()), "!", []);
        }

        foreach (string op in new[] { " notin ", " in " })
        {
            int at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                string key = CheckKey(part[..at].Trim());
                string list = part[(at + op.Length)..].Trim();
                if (!list.StartsWith('(') || !list.EndsWith(')'))
                {
                    throw ApiErrors.BadRequest($"unable to parse requirement: found '{list}', expected: '('");
                }

                string[] values = list[1..^1].Split(',').Select(v => CheckValue(v.Trim())).ToArray();
                return new Requirement(key, op.Trim(), values);
            }
        }

        foreach (string op in new[] { "==", "!=", "=", ">", "<" })
        {
            int at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                string value = part[(at + op.Length)..].Trim();
                if (op is ">" or "<" && !long.TryParse(value, out _))
                {
                    throw ApiErrors.BadRequest($"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer");
                }

                return new Requirement(CheckKey(part[..at].Trim()), op == "==" ? "=" : op, [CheckValue(value)]);
            }
        }

        return new Requirement(CheckKey(part), "exists", []);
    }

    private static string CheckKey(string key)
    {
        foreach (string problem in MetadataValidation.QualifiedNameProblems(key))
        {
            throw ApiErrors.BadRequest($"unable to parse requirement: invalid label key \"{key}\": {problem}");
        }

        return key;
    }

    private static string CheckValue(string value)
    {
        if (value.Length > 63 || (value.Length > 0 && !(char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1]) && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
        {
            throw ApiErrors.BadRequest($"unable to parse requirement: invalid label value: \"{value}\": at key: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
        }

        return value;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private sealed record Requirement(string Key, string Op, string[] Values);
}
