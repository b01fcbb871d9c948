namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>A stored value could not be decrypted (a missing key, a tampered or truncated value, an unknown prefix).</summary>
internal sealed class ValueTransformException(string message, Exception? inner = null) : Exception(message, inner);
