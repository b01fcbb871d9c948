using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// The simple JSONPath a CustomResourceDefinition's <c>additionalPrinterColumns</c> and <c>selectableFields</c> use
/// (client-go's jsonpath as kube-apiserver runs it on custom resources): <c>.a.b</c>, <c>['a']</c>, <c>[0]</c>,
/// <c>[*]</c> and filters <c>[?(@.type=="Ready")]</c> (<c>==</c>, <c>!=</c>). Read from a <see cref="CustomResource"/>
/// without turning the whole object into JSON: metadata is only serialized when the path goes through it.
/// </summary>
public sealed class CustomResourceJsonPath
{
    private readonly IReadOnlyList<Segment> _segments;

    private CustomResourceJsonPath(string text, IReadOnlyList<Segment> segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The path as written.</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="path"/> (with or without the surrounding braces); a FormatException when it is not one this reads.</summary>
    public static CustomResourceJsonPath Parse(string path)
    {
        string p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}'))
        {
            p = p[1..^1].Trim();
        }

        if (p.StartsWith('$'))
        {
            p = p[1..];
        }

        var segments = new List<Segment>();
        int i = 0;
        while (i < p.Length)
        {
            if (p[i] == '.')
            {
                int end = i + 1;
                while (end < p.Length && p[end] != '.' && p[end] != '[')
                {
                    end++;
                }

                if (end == i + 1)
                {
                    throw new FormatException($"unsupported JSONPath {path}");
                }

                segments.Add(new Segment(SegmentKind.Field, p[(i + 1)..end]));
                i = end;
            }
            else if (p[i] == '[')
            {
                int end = p.IndexOf(']', i);
                if (p.AsSpan(i).StartsWith("[?(", StringComparison.Ordinal))
                {
                    end = p.IndexOf(")]", i, StringComparison.Ordinal) + 1;
                }

                if (end <= i)
                {
                    throw new FormatException($"unclosed [ in JSONPath {path}");
                }

                segments.Add(Bracket(p[(i + 1)..end], path));
                i = end + 1;
            }
            else
            {
                throw new FormatException($"unsupported JSONPath {path}");
            }
        }

        return new CustomResourceJsonPath(path, segments);
    }

    /// <summary>Whether <paramref name="path"/> parses.</summary>
    public static bool IsValid(string path)
    {
        try
        {
            _ = Parse(path);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Every value the path reaches in <paramref name="resource"/>, in order.</summary>
    public IReadOnlyList<JsonNode?> Find(CustomResource resource)
    {
        if (_segments.Count == 0 || _segments[0].Kind != SegmentKind.Field)
        {
            return [];
        }

        JsonNode? root = _segments[0].Text switch
        {
            "apiVersion" => JsonValue.Create(resource.ApiVersion),
            "kind" => JsonValue.Create(resource.Kind),
            "metadata" => JsonSerializer.SerializeToNode(resource.Metadata, KubernetesSerialization.Options),
            string field => resource.Content[field],
        };
        List<JsonNode?> current = root is null ? [] : [root];
        for (int s = 1; s < _segments.Count && current.Count > 0; s++)
        {
            current = Step(current, _segments[s]);
        }

        return current;
    }

    /// <summary>A found value as text, as client-go's jsonpath prints it (strings bare, everything else as JSON).</summary>
    public static string Print(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => value.ToJsonString(),
    };

    private static List<JsonNode?> Step(List<JsonNode?> nodes, Segment segment)
    {
        var next = new List<JsonNode?>();
        foreach (JsonNode? node in nodes)
        {
            switch (segment.Kind)
            {
                case SegmentKind.Field when node is JsonObject o && o.TryGetPropertyValue(segment.Text, out JsonNode? child) && child is not null:
                    next.Add(child);
                    break;
                case SegmentKind.Index when node is JsonArray a:
                    int at = segment.Index < 0 ? a.Count + segment.Index : segment.Index;
                    if (at >= 0 && at < a.Count)
                    {
                        next.Add(a[at]);
                    }

                    break;
                case SegmentKind.All when node is JsonArray a:
                    next.AddRange(a);
                    break;
                case SegmentKind.All when node is JsonObject o:
                    next.AddRange(o.Select(p => p.Value));
                    break;
                case SegmentKind.Filter when node is JsonArray a:
                    next.AddRange(a.Where(item => Matches(item, segment)));
                    break;
            }
        }

        return next;
    }

    private static bool Matches(JsonNode? item, Segment filter)
    {
        JsonNode? value = item;
        foreach (string field in filter.Text.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            value = value is JsonObject o ? o[field] : null;
        }

        if (filter.Value is null)
        {
            return value is not null;
        }

        bool equal = value is not null && Print(value) == filter.Value;
        return filter.Negated ? !equal : equal;
    }

    private static Segment Bracket(string inner, string path)
    {
        inner = inner.Trim();
        if (inner == "*")
        {
            return new Segment(SegmentKind.All, "");
        }

        if (inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0])
        {
            return new Segment(SegmentKind.Field, inner[1..^1]);
        }

        if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index))
        {
            return new Segment(SegmentKind.Index, "", index);
        }

        if (inner.StartsWith("?(@.", StringComparison.Ordinal) && inner.EndsWith(')'))
        {
            string condition = inner[4..^1];
            foreach ((string op, bool negated) in new[] { ("==", false), ("!=", true) })
            {
                int at = condition.IndexOf(op, StringComparison.Ordinal);
                if (at > 0)
                {
                    string literal = condition[(at + 2)..].Trim();
                    if (literal.Length >= 2 && literal[0] is '\'' or '"' && literal[^1] == literal[0])
                    {
                        literal = literal[1..^1];
                    }

                    return new Segment(SegmentKind.Filter, condition[..at].Trim(), 0, literal, negated);
                }
            }

            return new Segment(SegmentKind.Filter, condition.Trim());
        }

        throw new FormatException($"unsupported JSONPath {path}");
    }

    private enum SegmentKind
    {
        Field,
        Index,
        All,
        Filter,
    }

    private sealed record Segment(SegmentKind Kind, string Text, int Index = 0, string? Value = null, bool Negated = false);
}
