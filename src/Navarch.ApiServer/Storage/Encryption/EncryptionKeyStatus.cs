using System.Text.Json.Serialization;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>One key of the status table: whether it encrypts new writes, its provider type and its name.</summary>
internal sealed record EncryptionKeyStatus(
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("name")] string Name);
