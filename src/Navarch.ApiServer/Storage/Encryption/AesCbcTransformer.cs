using System.Security.Cryptography;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// The <c>aescbc</c> provider's transformation of one key: a random 16-byte IV, then the value encrypted with AES-CBC
/// and PKCS#7 padding (kube-apiserver's layout, so either reads what the other wrote).
/// </summary>
internal sealed class AesCbcTransformer(byte[] key) : IValueTransformer
{
    private const int BlockSize = 16;

    /// <inheritdoc />
    public byte[] FromStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData, out bool stale)
    {
        stale = false;
        if (data.Length < BlockSize)
        {
            throw new ValueTransformException("the stored data was shorter than the required size");
        }

        if ((data.Length - BlockSize) % BlockSize != 0)
        {
            throw new ValueTransformException("the stored data is not a multiple of the block size");
        }

        using var aes = Aes.Create();
        aes.Key = key;
        try
        {
            return aes.DecryptCbc(data[BlockSize..], data[..BlockSize], PaddingMode.PKCS7);
        }
        catch (CryptographicException e)
        {
            throw new ValueTransformException("invalid padding on input", e);
        }
    }

    /// <inheritdoc />
    public byte[] ToStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        int padded = (data.Length / BlockSize + 1) * BlockSize;
        byte[] result = new byte[BlockSize + padded];
        RandomNumberGenerator.Fill(result.AsSpan(0, BlockSize));
        aes.EncryptCbc(data, result.AsSpan(0, BlockSize), result.AsSpan(BlockSize), PaddingMode.PKCS7);
        return result;
    }
}
