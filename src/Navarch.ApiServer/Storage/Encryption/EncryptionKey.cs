namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>A named key of an encryption provider (<c>keys[].name</c>, <c>keys[].secret</c>: base64 of the key bytes).</summary>
internal sealed record EncryptionKey(string Name, string Secret);
