namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>One entry of a rule's <c>providers</c>: its type and, except for identity, its keys (the first one encrypts).</summary>
internal sealed record ProviderConfiguration(string Type, IReadOnlyList<EncryptionKey> Keys)
{
    /// <summary>AES-CBC with PKCS#7 padding; what k3s's <c>--secrets-encryption</c> generates.</summary>
    public const string AesCbc = "aescbc";

    /// <summary>AES-GCM with a random nonce.</summary>
    public const string AesGcm = "aesgcm";

    /// <summary>NaCl's XSalsa20-Poly1305.</summary>
    public const string Secretbox = "secretbox";

    /// <summary>No encryption.</summary>
    public const string Identity = "identity";

    /// <summary>The <c>k8s:enc:&lt;type&gt;:v1:</c> prefix of what this provider writes (empty for identity).</summary>
    public string Prefix => Type == Identity ? "" : $"k8s:enc:{Type}:v1:";

    /// <summary>The name k3s's <c>secrets-encrypt status</c> shows for the type.</summary>
    public string DisplayType => Type switch
    {
        AesCbc => "AES-CBC",
        AesGcm => "AES-GCM",
        Secretbox => "XSalsa20-Poly1305",
        _ => "Identity",
    };
}
