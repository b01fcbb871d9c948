using System.Security.Cryptography;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// The <c>aesgcm</c> provider's transformation of one key: a random 12-byte nonce, the ciphertext, then the 16-byte
/// tag, authenticated with the storage key (kube-apiserver's layout). Random nonces allow about 2^32 writes per key,
/// so such keys must be rotated.
/// </summary>
internal sealed class AesGcmTransformer(byte[] key) : IValueTransformer
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <inheritdoc />
    public byte[] FromStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData, out bool stale)
    {
        stale = false;
        if (data.Length < NonceSize + TagSize)
        {
            throw new ValueTransformException("the stored data was shorter than the required size");
        }

        ReadOnlySpan<byte> body = data[NonceSize..];
        byte[] plain = new byte[body.Length - TagSize];
        using var gcm = new AesGcm(key, TagSize);
        try
        {
            gcm.Decrypt(data[..NonceSize], body[..^TagSize], body[^TagSize..], plain, authenticatedData);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new ValueTransformException("cipher: message authentication failed", e);
        }

        return plain;
    }

    /// <inheritdoc />
    public byte[] ToStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData)
    {
        byte[] result = new byte[NonceSize + data.Length + TagSize];
        Span<byte> nonce = result.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, data, result.AsSpan(NonceSize, data.Length), result.AsSpan(NonceSize + data.Length), authenticatedData);
        return result;
    }
}
