namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// Turns a stored value into the object's bytes and back (k8s.io/apiserver's <c>value.Transformer</c>). The
/// authenticated data is the storage key, so a value copied to another key does not read back under AES-GCM.
/// </summary>
internal interface IValueTransformer
{
    /// <summary>
    /// The bytes of a stored value; <paramref name="stale"/> is set when it was not written by the transformer that
    /// writes now (another provider or key), so rewriting it would change how it is stored. Throws
    /// <see cref="ValueTransformException"/> when the value cannot be read.
    /// </summary>
    byte[] FromStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData, out bool stale);

    /// <summary>The value to store for <paramref name="data"/>.</summary>
    byte[] ToStorage(ReadOnlySpan<byte> data, ReadOnlySpan<byte> authenticatedData);
}
