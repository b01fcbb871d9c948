using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Navarch.Storage;

namespace Navarch.ApiServer.Join;

/// <summary>
/// The cluster's shared secrets kept in the datastore (k3s's bootstrap data): the files a joining server fetches
/// (<see cref="ServerBootstrap.SharedFiles"/> — cluster CAs and keys, the service account key, the encryption config),
/// encrypted with a key derived from the server token, under <c>/bootstrap/&lt;hash of the token&gt;</c>. Every server
/// writes them at start, so a snapshot carries them: a server whose whole data dir was lost restores the snapshot with
/// <c>--token</c> and gets the cluster's CA back (the server's <c>ClusterReset</c>), so that agents, kubeconfigs and the
/// objects' secrets encrypted at rest stay valid. <c>navarch token rotate</c> re-encrypts them under a new token
/// (<see cref="RotateAsync"/>), after which a server started with the old one is refused, as k3s refuses it.
/// </summary>
public static class BootstrapData
{
    private const string Prefix = "/bootstrap/";
    private const int SaltBytes = 16;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    // PBKDF2 makes guessing the token from a stolen snapshot expensive (k3s derives its key the same way).
    private const int Iterations = 100_000;

    /// <summary>The key the files encrypted with <paramref name="token"/> are stored under.</summary>
    public static string KeyFor(string token) => Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SecretOf(token))))[..12];

    /// <summary>Stores the shared files under <paramref name="serverDir"/>, unless the datastore holds them as they are.</summary>
    /// <exception cref="InvalidDataException">The datastore holds bootstrap data under another token only (the token was rotated, or belongs to another cluster).</exception>
    public static async Task SaveAsync(IStore store, string serverDir, string token, CancellationToken cancellationToken)
    {
        string key = KeyFor(token);
        KeyValue? stored = await CheckTokenAsync(store, token, cancellationToken);
        await WriteAsync(store, key, stored, ServerBootstrap.ReadFiles(serverDir), token, cancellationToken);
    }

    /// <summary>
    /// The bootstrap data stored under <paramref name="token"/> (null when there is none yet); checked before a server
    /// starts with a given --token, so that a refused start changes nothing (not even the server's token file).
    /// </summary>
    /// <exception cref="InvalidDataException">The datastore holds bootstrap data under another token only (the token was rotated, or belongs to another cluster).</exception>
    public static async Task<KeyValue?> CheckTokenAsync(IStore store, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        KeyValue? stored = await store.GetAsync(KeyFor(token), cancellationToken: cancellationToken);
        if (stored is null && (await store.ListAsync(Prefix, new ListOptions(Limit: 1), cancellationToken)).Items.Count > 0)
        {
            throw new InvalidDataException("bootstrap data already found and encrypted with different token: start the server with the cluster's current server token (--token; after `navarch token rotate`, the new one)");
        }

        return stored;
    }

    /// <summary>
    /// <c>navarch token rotate</c>'s change to the datastore (k3s's RotateBootstrapToken): the bootstrap data stored under
    /// <paramref name="oldToken"/> (or, when none is stored yet, the files under <paramref name="serverDir"/>) is stored
    /// again encrypted with <paramref name="newToken"/>, then the old copy is deleted. A failure in between leaves both,
    /// and the rotation can be run again.
    /// </summary>
    public static async Task RotateAsync(IStore store, string serverDir, string oldToken, string newToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string oldKey = KeyFor(oldToken), newKey = KeyFor(newToken);
        KeyValue? old = await store.GetAsync(oldKey, cancellationToken: cancellationToken);
        Dictionary<string, string> files = old is null
            ? ServerBootstrap.ReadFiles(serverDir)
            : TryDecrypt(old.Value, oldToken) ?? throw new InvalidDataException($"the bootstrap data under {oldKey} does not decrypt with the current token");
        await WriteAsync(store, newKey, await store.GetAsync(newKey, cancellationToken: cancellationToken), files, newToken, cancellationToken);
        if (old is not null && oldKey != newKey)
        {
            try
            {
                await store.DeleteAsync(oldKey, old.ModRevision, cancellationToken);
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.KeyNotFound)
            {
                // Another server's rotation deleted it first.
            }
        }
    }

    private static async Task WriteAsync(IStore store, string key, KeyValue? stored, Dictionary<string, string> files, string token, CancellationToken cancellationToken)
    {
        if (stored is not null && TryDecrypt(stored.Value, token) is { } current && SameFiles(current, files))
        {
            return;
        }

        byte[] value = Encrypt(JsonSerializer.SerializeToUtf8Bytes(files), token);
        try
        {
            _ = stored is null
                ? await store.CreateAsync(key, value, cancellationToken: cancellationToken)
                : await store.UpdateAsync(key, value, stored.ModRevision, cancellationToken: cancellationToken);
        }
        catch (StorageException e) when (e.Code is StorageErrorCode.KeyExists or StorageErrorCode.Conflict)
        {
            // Another server stored them at the same moment: the cluster shares one set of files, either write holds it.
        }
    }

    /// <summary>Decrypts a stored value into the shared files by path; null when <paramref name="token"/> is not the one it was encrypted with.</summary>
    public static Dictionary<string, string>? TryDecrypt(byte[] value, string token)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length < SaltBytes + NonceBytes + TagBytes)
        {
            return null;
        }

        ReadOnlySpan<byte> data = value;
        byte[] plain = new byte[value.Length - SaltBytes - NonceBytes - TagBytes];
        using var aes = new AesGcm(DeriveKey(token, data[..SaltBytes]), TagBytes);
        try
        {
            aes.Decrypt(data.Slice(SaltBytes, NonceBytes), data[(SaltBytes + NonceBytes + TagBytes)..], data.Slice(SaltBytes + NonceBytes, TagBytes), plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        return JsonSerializer.Deserialize<Dictionary<string, string>>(plain);
    }

    /// <summary>Writes the files (only the known shared paths, owner-only) under <paramref name="serverDir"/>.</summary>
    public static void WriteFiles(IReadOnlyDictionary<string, string> files, string serverDir)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (string name in ServerBootstrap.SharedFiles)
        {
            if (files.TryGetValue(name, out string? text))
            {
                string path = Path.Combine(serverDir, name);
                PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
                PrivateFiles.Write(path, text);
            }
        }
    }

    private static byte[] Encrypt(byte[] plain, string token)
    {
        byte[] value = new byte[SaltBytes + NonceBytes + TagBytes + plain.Length];
        Span<byte> span = value;
        RandomNumberGenerator.Fill(span[..(SaltBytes + NonceBytes)]);
        using var aes = new AesGcm(DeriveKey(token, span[..SaltBytes]), TagBytes);
        aes.Encrypt(span.Slice(SaltBytes, NonceBytes), plain, span[(SaltBytes + NonceBytes + TagBytes)..], span.Slice(SaltBytes + NonceBytes, TagBytes));
        return value;
    }

    private static byte[] DeriveKey(string token, ReadOnlySpan<byte> salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(SecretOf(token)), salt, Iterations, HashAlgorithmName.SHA256, 32);

    /// <summary>The secret of a server token, whichever way it was given (full K10 token, <c>server:secret</c>, bare secret).</summary>
    private static string SecretOf(string token) => ServerToken.SecretOf(JoinToken.Parse(token.Trim()).Credentials);

    private static bool SameFiles(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(f => b.TryGetValue(f.Key, out string? text) && text == f.Value);
}
