using System.Text;

namespace Navarch.Storage;

/// <summary>The input rules every backend enforces before it writes anything.</summary>
public static class KeyRules
{
    /// <summary>The longest key accepted, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>The largest value accepted: 3 MiB, the API server's request body limit.</summary>
    public const int MaxValueBytes = 3 * 1024 * 1024;

    /// <summary>Throws <see cref="StorageErrorCode.InvalidKey"/> unless <paramref name="key"/> is a usable key.</summary>
    public static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new StorageException(StorageErrorCode.InvalidKey, key ?? "", "key must not be empty");
        }

        ValidatePrefix(key);
    }

    /// <summary>Throws <see cref="StorageErrorCode.InvalidKey"/> unless <paramref name="prefix"/> can be listed or watched.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.StartsWith('/'))
        {
            throw new StorageException(StorageErrorCode.InvalidKey, prefix, $"key must start with '/': {Printable(prefix)}");
        }

        if (prefix.Contains('\0', StringComparison.Ordinal))
        {
            throw new StorageException(StorageErrorCode.InvalidKey, prefix, $"key must not contain NUL: {Printable(prefix)}");
        }

        int bytes = Encoding.UTF8.GetByteCount(prefix);
        if (bytes > MaxKeyBytes)
        {
            throw new StorageException(StorageErrorCode.InvalidKey, Printable(prefix), $"key is {bytes} bytes, over the limit of {MaxKeyBytes}");
        }
    }

    /// <summary>Throws <see cref="StorageErrorCode.ValueTooLarge"/> when <paramref name="value"/> is over the limit.</summary>
    public static void ValidateValue(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxValueBytes)
        {
            throw new StorageException(StorageErrorCode.ValueTooLarge, key, $"value of {value.Length} bytes for {key} is over the limit of {MaxValueBytes}");
        }
    }

    /// <summary>Validates both parts of a write.</summary>
    public static void ValidateWrite(string key, byte[] value)
    {
        ValidateKey(key);
        ValidateValue(key, value);
    }

    private static string Printable(string key) =>
        (key.Length > 80 ? key[..80] + "..." : key).Replace("\0", "\\0", StringComparison.Ordinal);
}
