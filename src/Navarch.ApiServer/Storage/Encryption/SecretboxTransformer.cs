using System.Security.Cryptography;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// The <c>secretbox</c> provider's transformation of one 32-byte key: NaCl's XSalsa20-Poly1305 (libsodium's
/// <c>crypto_secretbox_easy</c> through Sodium.Core) with a random 24-byte nonce stored first, then the 16-byte
/// Poly1305 tag and the ciphertext — kube-apiserver's layout (golang.org/x/crypto/nacl/secretbox).
/// </summary>
internal sealed class SecretboxTransformer(byte[] key) : IValueTransformer
{
    private const int NonceSize = 24;
    private const int Overhead = 16;

    /// <inheritdoc />
    public byte[] FromStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData, out bool stale)
    {
        stale = false;
        if (data.Length < NonceSize + Overhead)
        {
            throw new ValueTransformException("the stored data was shorter than the required size");
        }

        try
        {
            return Sodium.SecretBox.Open(data[NonceSize..].ToArray(), data[..NonceSize].ToArray(), key);
        }
        catch (CryptographicException e)
        {
            throw new ValueTransformException("the stored data could not be opened with this key", e);
        }
    }

    /// <inheritdoc />
    public byte[] ToStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(NonceSize);
        byte[] sealedBox = Sodium.SecretBox.Create(data.ToArray(), nonce, key);
        byte[] result = new byte[NonceSize + sealedBox.Length];
        nonce.CopyTo(result, 0);
        sealedBox.CopyTo(result, NonceSize);
        return result;
    }
}
