namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// The <c>identity</c> provider: values are stored as they are. Reading refuses a value that carries the
/// <c>k8s:enc:</c> prefix, since that is encrypted data no configured provider matched (as kube-apiserver's).
/// </summary>
internal sealed class IdentityTransformer : IValueTransformer
{
    /// <summary>The one instance: it has no state.</summary>
    public static IdentityTransformer Instance { get; } = new();

    /// <summary>What every encrypted value starts with.</summary>
    public static ReadOnlySpan<byte> EncryptedPrefix => "k8s:enc:"u8;

    private IdentityTransformer()
    {
    }

    /// <inheritdoc />
    public byte[] FromStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData, out bool stale)
    {
        stale = false;
        return data.StartsWith(EncryptedPrefix) ? throw new ValueTransformException("identity transformer tried to read encrypted data") : data.ToArray();
    }

    /// <inheritdoc />
    public byte[] ToStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData) => data.ToArray();
}
