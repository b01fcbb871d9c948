using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Navarch.Api;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Converts a YAML body to a JSON tree the way sigs.k8s.io/yaml does (YAMLToJSON), from the parser's events, in
/// memory bounded by the body: aliases are expanded against a budget of decoded nodes (10000 plus twice the body's
/// length) and go-yaml's alias ratio check, so a "billion laughs" document is a 400 after a few thousand nodes, not
/// gigabytes later. Nesting stops at <see cref="KubernetesSerialization.MaxDepth"/>; a mapping or sequence used as a
/// key is a 400, as go-yaml's "invalid map key". Plain scalars resolve to null, booleans, integers (decimal, 0x, 0o
/// and YAML 1.1's leading-zero octal, so <c>defaultMode: 0644</c> is 420) and floats; anything else is a string.
/// </summary>
internal sealed partial class YamlBody
{
    private const string ExcessiveAliasing = "yaml: document contains excessive aliasing";

    private readonly Dictionary<string, (JsonNode? Node, long Nodes, long Aliases)> _anchors = new(StringComparer.Ordinal);

    private readonly Stack<Frame> _stack = new();

    private readonly long _maxNodes;

    private long _nodes;

    private long _aliases;

    private YamlBody(long maxNodes) => _maxNodes = maxNodes;

    /// <summary>The first document of <paramref name="yaml"/> as JSON, or a 400.</summary>
    public static JsonNode Parse(string yaml)
    {
        try
        {
            return new YamlBody(10_000 + (2L * yaml.Length)).Read(new Parser(new StringReader(yaml)))
                ?? throw ApiErrors.BadRequest("the request body is empty");
        }
        catch (YamlException e)
        {
            throw ApiErrors.BadRequest($"error converting YAML to JSON: yaml: {e.Message}");
        }
    }

    /// <summary>go-yaml's allowedAliasRatio: 99% aliases while small, falling to 10% at 4 million decoded nodes.</summary>
    private static double AllowedAliasRatio(long decoded) => decoded switch
    {
        <= 400_000 => 0.99,
        >= 4_000_000 => 0.10,
        _ => 0.10 + (0.89 * (4_000_000 - decoded) / 3_600_000.0),
    };

    private JsonNode? Read(Parser parser)
    {
        parser.Consume<StreamStart>();
        if (!parser.TryConsume<DocumentStart>(out _))
        {
            return null;
        }

        JsonNode? root = null;
        bool done = false;
        while (!done)
        {
            ParsingEvent e = parser.Consume<ParsingEvent>();
            switch (e)
            {
                case MappingStart m:
                    Open(new Frame(new JsonObject(), m.Anchor.IsEmpty ? null : m.Anchor.Value, _nodes, _aliases));
                    break;
                case SequenceStart s:
                    Open(new Frame(new JsonArray(), s.Anchor.IsEmpty ? null : s.Anchor.Value, _nodes, _aliases));
                    break;
                case MappingEnd or SequenceEnd:
                    Frame closed = _stack.Pop();
                    Remember(closed.Anchor, closed.Node, closed.NodesAtStart, closed.AliasesAtStart);
                    done = Place(closed.Node, ref root, isScalarKey: false);
                    break;
                case Scalar scalar:
                    Count(1, 0);
                    JsonNode? value = Resolve(scalar);
                    Remember(scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value, value, _nodes - 1, _aliases);
                    done = Place(value, ref root, isScalarKey: true, scalar.Value);
                    break;
                case AnchorAlias alias:
                    if (!_anchors.TryGetValue(alias.Value.Value, out (JsonNode? Node, long Nodes, long Aliases) anchored))
                    {
                        throw ApiErrors.BadRequest($"error converting YAML to JSON: yaml: unknown anchor '{alias.Value.Value}' referenced");
                    }

                    Count(anchored.Nodes, anchored.Aliases + 1);
                    done = Place(anchored.Node?.DeepClone(), ref root, isScalarKey: anchored.Node is JsonValue or null, anchored.Node?.ToString() ?? "null");
                    break;
                case DocumentEnd:
                    done = true;
                    break;
            }
        }

        return root;
    }

    private void Open(Frame frame)
    {
        if (_stack.TryPeek(out Frame? parent) && parent.Node is JsonObject && parent.Key is null)
        {
            throw ApiErrors.BadRequest($"error converting YAML to JSON: yaml: invalid map key: a {(frame.Node is JsonObject ? "mapping" : "sequence")} is not a valid key");
        }

        if (_stack.Count >= KubernetesSerialization.MaxDepth)
        {
            throw ApiErrors.BadRequest($"error converting YAML to JSON: yaml: exceeded max depth of {KubernetesSerialization.MaxDepth}");
        }

        Count(1, 0);
        _stack.Push(frame);
    }

    /// <summary>Counts decoded nodes and aliases as go-yaml's decoder does, and stops a document that expands too far.</summary>
    private void Count(long nodes, long aliases)
    {
        _nodes += nodes;
        _aliases += aliases;
        if (_nodes > _maxNodes || (_aliases > 100 && _nodes > 1000 && (double)_aliases / _nodes > AllowedAliasRatio(_nodes)))
        {
            throw ApiErrors.BadRequest($"error converting YAML to JSON: {ExcessiveAliasing}");
        }
    }

    private void Remember(string? anchor, JsonNode? node, long nodesAtStart, long aliasesAtStart)
    {
        if (anchor is not null)
        {
            _anchors[anchor] = (node, _nodes - nodesAtStart, _aliases - aliasesAtStart);
        }
    }

    /// <summary>Puts a finished node where it belongs: the root, the next item of a sequence, a mapping's key, or its value. True when it was the root.</summary>
    private bool Place(JsonNode? node, ref JsonNode? root, bool isScalarKey, string keyText = "")
    {
        if (!_stack.TryPeek(out Frame? parent))
        {
            root = node;
            return true;
        }

        switch (parent.Node)
        {
            case JsonArray array:
                array.Add(node);
                break;
            case JsonObject when parent.Key is null:
                if (!isScalarKey)
                {
                    throw ApiErrors.BadRequest("error converting YAML to JSON: yaml: invalid map key: a mapping or sequence is not a valid key");
                }

                parent.Key = node is null ? "null" : keyText;
                break;
            case JsonObject map:
                if (parent.Key == "<<" && node is JsonObject or JsonArray)
                {
                    Merge(map, node);
                }
                else
                {
                    map[parent.Key] = node;
                }

                parent.Key = null;
                break;
        }

        return false;
    }

    /// <summary>A merge key (<c>&lt;&lt;: *base</c>): the merged mappings' keys, where the mapping has not set them itself.</summary>
    private static void Merge(JsonObject into, JsonNode merged)
    {
        foreach (JsonNode? source in merged is JsonArray list ? list.ToList() : [merged])
        {
            if (source is not JsonObject mapping)
            {
                throw ApiErrors.BadRequest("error converting YAML to JSON: yaml: map merge requires map or sequence of maps as the value");
            }

            foreach ((string key, JsonNode? value) in mapping.ToList())
            {
                if (!into.ContainsKey(key))
                {
                    into[key] = value?.DeepClone();
                }
            }
        }
    }

    private static JsonNode? Resolve(Scalar scalar)
    {
        string text = scalar.Value;
        if (scalar.Style is not ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (Integer(text) is { } integer)
        {
            return JsonValue.Create(integer);
        }

        // A float keeps its text (a JSON number of any size, read by whoever needs it, e.g. a quantity).
        return FloatPattern().IsMatch(text) ? JsonNode.Parse(JsonNumber(text)) : JsonValue.Create(text);
    }

    private static long? Integer(string text)
    {
        bool negative = text.StartsWith('-');
        string digits = text.TrimStart('-', '+');
        if (digits.Length == 0 || digits.Length < text.Length - 1)
        {
            return null;
        }

        (string body, int radix) = digits switch
        {
            ['0', 'x' or 'X', .. var rest] => (rest, 16),
            ['0', 'o' or 'O', .. var rest] => (rest, 8),
            ['0', 'b' or 'B', .. var rest] => (rest, 2),
            ['0', .. var rest] when rest.Length > 0 && rest.All(c => c is >= '0' and <= '7') => (rest, 8),
            _ => (digits, 10),
        };
        if (body.Length == 0 || body.Length > 64)
        {
            return null;
        }

        try
        {
            long value = radix == 10
                ? long.Parse(body, NumberStyles.None, CultureInfo.InvariantCulture)
                : Convert.ToInt64(body, radix);
            return negative ? -value : value;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A YAML float as JSON number text: <c>.5</c> → <c>0.5</c>, <c>1.</c> → <c>1.0</c>, no leading '+'.</summary>
    private static string JsonNumber(string text)
    {
        string number = text.TrimStart('+');
        string sign = number.StartsWith('-') ? "-" : "";
        number = number.TrimStart('-');
        if (number.StartsWith('.'))
        {
            number = "0" + number;
        }

        number = number.Replace(".e", ".0e", StringComparison.OrdinalIgnoreCase);
        if (number.EndsWith('.'))
        {
            number += "0";
        }

        // JSON allows no leading zeros: 007.5 → 7.5.
        string trimmed = number.TrimStart('0');
        number = trimmed.Length == 0 || !char.IsAsciiDigit(trimmed[0]) ? "0" + trimmed : trimmed;
        return sign + number;
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    private sealed class Frame(JsonNode node, string? anchor, long nodesAtStart, long aliasesAtStart)
    {
        public JsonNode Node { get; } = node;

        public string? Anchor { get; } = anchor;

        public long NodesAtStart { get; } = nodesAtStart;

        public long AliasesAtStart { get; } = aliasesAtStart;

        /// <summary>For a mapping: the key whose value comes next, or null when a key comes next.</summary>
        public string? Key { get; set; }
    }
}
