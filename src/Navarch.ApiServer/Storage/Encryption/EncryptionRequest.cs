using System.Text.Json.Serialization;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// A <c>secrets-encrypt</c> command sent to the server (k3s's EncryptionRequest): the stage to move to — enable,
/// disable, prepare, rotate, reencrypt or rotate-keys —, <c>force</c> to reencrypt outside the rotate stage, and
/// <c>skip</c> to keep the old keys after reencrypting.
/// </summary>
internal sealed record EncryptionRequest(
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("force")] bool Force = false,
    [property: JsonPropertyName("skip")] bool Skip = false);
