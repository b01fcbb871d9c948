using System.Text;
using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>
/// Seeded, reproducible mutations of a valid-shaped object: a wrong type, null, a null in a list, a huge or tiny
/// number, a hostile quantity, a lone surrogate, deep nesting at any field; and for the text, truncation or garbage.
/// Each mutation says what it did, for the failure message.
/// </summary>
internal sealed class BodyMutator(int seed)
{
    private static readonly Func<Random, JsonNode?>[] Replacements =
    [
        _ => null,
        _ => 5,
        _ => true,
        _ => "text",
        _ => new JsonObject { ["nested"] = 1 },
        _ => new JsonArray(1, "two", null),
        _ => new JsonArray((JsonNode?)null),
        _ => new JsonArray(new JsonObject(), null),
        _ => JsonNode.Parse("1e999999"),
        _ => JsonNode.Parse("-99999999999999999999999999999999"),
        _ => JsonNode.Parse("1.5e-999"),
        _ => "1e999999999",
        _ => "1e30",
        _ => "-1",
        _ => "99999999999999999999999999999999Ei",
        _ => "0." + new string('0', 100_000) + "1",
        _ => new string('x', 70_000),
        r => Deep(r.Next(50, 320)),
    ];

    private readonly Random _random = new(seed);

    /// <summary>The mutated object (a copy) and what was changed where.</summary>
    public (JsonNode Body, string Description) Mutate(JsonObject valid)
    {
        JsonObject copy = (JsonObject)valid.DeepClone();
        var done = new List<string>();
        int count = _random.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            List<(JsonNode Parent, string? Key, int Index)> slots = Slots(copy).ToList();
            (JsonNode parent, string? key, int index) = slots[_random.Next(slots.Count)];
            int pick = _random.Next(Replacements.Length);
            JsonNode? replacement = Replacements[pick](_random);
            if (parent is JsonObject o)
            {
                o[key!] = replacement;
                done.Add($"{key}=#{pick}");
            }
            else if (parent is JsonArray a)
            {
                a[index] = replacement;
                done.Add($"[{index}]=#{pick}");
            }
        }

        return (copy, string.Join(",", done));
    }

    /// <summary>The text of a body, sometimes damaged: truncated, with random bytes, or with a raw lone surrogate escape.</summary>
    public byte[] Text(JsonNode body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        return _random.Next(10) switch
        {
            0 => bytes[..(_random.Next(bytes.Length))],
            1 => Garble(bytes),
            2 => Encoding.UTF8.GetBytes(body.ToJsonString().Replace("\"x\"", "\"\\udc00\\ud800\"", StringComparison.Ordinal)),
            _ => bytes,
        };
    }

    /// <summary>YAML with anchors and aliases: the object's spec anchored and aliased in nested lists, level after level.</summary>
    public string AliasedYaml(JsonObject valid)
    {
        int levels = _random.Next(2, 12);
        int fanOut = _random.Next(2, 10);
        var yaml = new StringBuilder($"apiVersion: {valid["apiVersion"]}\nkind: {valid["kind"]}\nmetadata: {valid["metadata"]!.ToJsonString()}\n");
        yaml.Append("a0: &a0 ").Append((valid["spec"] ?? new JsonObject()).ToJsonString()).Append('\n');
        for (int i = 1; i < levels; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(",", Enumerable.Repeat($"*a{i - 1}", fanOut))}]\n");
        }

        yaml.Append($"spec: *a{levels - 1}\n");
        return yaml.ToString();
    }

    private static JsonNode Deep(int depth)
    {
        JsonNode node = 1;
        for (int i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["d"] = node };
        }

        return node;
    }

    private static IEnumerable<(JsonNode Parent, string? Key, int Index)> Slots(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach ((string key, JsonNode? value) in o.ToList())
                {
                    if (key is "apiVersion" or "kind")
                    {
                        continue;
                    }

                    yield return (o, key, 0);
                    if (value is not null)
                    {
                        foreach ((JsonNode Parent, string? Key, int Index) inner in Slots(value))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    yield return (a, null, i);
                    if (a[i] is { } item)
                    {
                        foreach ((JsonNode Parent, string? Key, int Index) inner in Slots(item))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
        }
    }

    private byte[] Garble(byte[] bytes)
    {
        byte[] copy = (byte[])bytes.Clone();
        for (int i = 0; i < 1 + (copy.Length / 50); i++)
        {
            copy[_random.Next(copy.Length)] = (byte)_random.Next(256);
        }

        return copy;
    }
}
