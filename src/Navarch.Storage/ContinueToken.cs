using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Navarch.Storage;

/// <summary>
/// The opaque continue token of a paged list: the revision the listing is pinned at and the last key
/// returned. Like Kubernetes' token it is base64 JSON, so that a client cannot mistake it for a key.
/// </summary>
public readonly record struct ContinueToken(long Revision, string StartAfter)
{
    /// <summary>Encodes the token.</summary>
    public string Encode()
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new Wire { V = 1, Rev = Revision, After = StartAfter }, WireContext.Default.Wire);
        return Base64Url.EncodeToString(json);
    }

    /// <summary>Decodes a token from <see cref="Encode"/>, or throws <see cref="StorageErrorCode.InvalidContinue"/>.</summary>
    public static ContinueToken Decode(string prefix, string token)
    {
        try
        {
            byte[] json = Base64Url.DecodeFromChars(token);
            Wire? wire = JsonSerializer.Deserialize(json, WireContext.Default.Wire);
            if (wire is null || wire.V != 1 || wire.Rev <= 0 || wire.After is null || !wire.After.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw Invalid(prefix);
            }

            return new ContinueToken(wire.Rev, wire.After);
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            throw Invalid(prefix, e);
        }
    }

    private static StorageException Invalid(string prefix, Exception? inner = null) =>
        new(StorageErrorCode.InvalidContinue, prefix, "continue token is not valid for this list", null, inner);

    internal sealed class Wire
    {
        public int V { get; set; }

        public long Rev { get; set; }

        public string? After { get; set; }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ContinueToken.Wire))]
internal sealed partial class WireContext : System.Text.Json.Serialization.JsonSerializerContext;
