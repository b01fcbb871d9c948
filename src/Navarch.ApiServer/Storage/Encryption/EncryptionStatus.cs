using System.Text.Json.Serialization;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>What <c>navarch secrets-encrypt status</c> shows (k3s's EncryptionState): whether Secrets are encrypted, the rotation stage, the configuration's hash and its keys.</summary>
/// <param name="Enable">True when the provider that writes Secrets encrypts (not identity).</param>
/// <param name="Stage">The rotation stage: start, prepare, rotate, reencrypt_active, reencrypt_finished.</param>
/// <param name="Managed">True for the configuration <c>--secrets-encryption</c> generated, which the commands may change.</param>
/// <param name="HashSummary">The SHA-256 of the configuration file in use (empty without one).</param>
/// <param name="Keys">The keys that may decrypt Secrets, the active one (which encrypts) first.</param>
/// <param name="Reencrypted">How many Secrets the last reencryption rewrote.</param>
/// <param name="Error">Why the last reencryption failed, or null.</param>
internal sealed record EncryptionStatus(
    [property: JsonPropertyName("enable")] bool Enable,
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("managed")] bool Managed,
    [property: JsonPropertyName("hashSummary")] string HashSummary,
    [property: JsonPropertyName("keys")] IReadOnlyList<EncryptionKeyStatus> Keys,
    [property: JsonPropertyName("reencrypted")] int Reencrypted,
    [property: JsonPropertyName("error")] string? Error);
