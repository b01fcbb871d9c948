using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Navarch.Api;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Parses a JSON body as Kubernetes' Go decoder reads it: invalid UTF-8 and lone UTF-16 surrogate escapes
/// (<c>"\ud800"</c>) become U+FFFD instead of failing later, and nesting stops at
/// <see cref="KubernetesSerialization.MaxDepth"/> with a 400.
/// </summary>
internal static class JsonBody
{
    public static JsonNode Parse(byte[] body, int length)
    {
        byte[] text = Utf8.IsValid(body.AsSpan(0, length)) ? body : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body, 0, length));
        if (text != body)
        {
            length = text.Length;
        }

        ReplaceLoneSurrogates(text.AsSpan(0, length));
        try
        {
            return JsonNode.Parse(text.AsSpan(0, length), documentOptions: new JsonDocumentOptions { MaxDepth = KubernetesSerialization.MaxDepth })
                ?? throw ApiErrors.BadRequest("the request body is null");
        }
        catch (JsonException e) when (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiErrors.BadRequest($"the request body is not valid JSON: exceeded max depth of {KubernetesSerialization.MaxDepth}");
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
    }

    /// <summary>
    /// Rewrites, in place, each <c>\uXXXX</c> escape of a surrogate without its partner as <c>\ufffd</c> (the same
    /// length), as Go's encoding/json decodes it; escaped pairs and other escapes are left alone.
    /// </summary>
    internal static void ReplaceLoneSurrogates(Span<byte> json)
    {
        for (int i = 0; i < json.Length - 1; i++)
        {
            if (json[i] != (byte)'\\')
            {
                continue;
            }

            if (json[i + 1] != (byte)'u' || Escape(json, i) is not { } unit)
            {
                i++;
                continue;
            }

            if (char.IsHighSurrogate(unit) && Escape(json, i + 6) is { } next && char.IsLowSurrogate(next))
            {
                i += 11;
                continue;
            }

            if (char.IsSurrogate(unit))
            {
                "\\ufffd"u8.CopyTo(json[i..]);
            }

            i += 5;
        }
    }

    private static char? Escape(ReadOnlySpan<byte> json, int at)
    {
        if (at + 6 > json.Length || json[at] != (byte)'\\' || json[at + 1] != (byte)'u')
        {
            return null;
        }

        int value = 0;
        foreach (byte b in json.Slice(at + 2, 4))
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return null;
            }

            value = (value * 16) + digit;
        }

        return (char)value;
    }
}
