using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Navarch.ApiServer;
using Navarch.ApiServer.Join;
using Navarch.Storage;

namespace Navarch.Server;

/// <summary>
/// The cluster's shared secrets kept in the datastore (k3s's bootstrap data): the files a joining server fetches
/// (<see cref="ServerBootstrap.SharedFiles"/> — cluster CAs and keys, the service account key, the encryption config),
/// encrypted with a key derived from the server token, under <c>/bootstrap/&lt;hash of the token&gt;</c>. Every server
/// writes them at start, so a snapshot carries them: a server whose whole data dir was lost restores the snapshot with
/// <c>--token</c> and gets the cluster's CA back (<see cref="ClusterReset"/>), so that agents, kubeconfigs and the
/// objects' secrets encrypted at rest stay valid.
/// </summary>
internal static class BootstrapData
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
    public static async Task SaveAsync(IStore store, string serverDir, string token, CancellationToken cancellationToken)
    {
        Dictionary<string, string> files = ServerBootstrap.ReadFiles(serverDir);
        string key = KeyFor(token);
        KeyValue? stored = await store.GetAsync(key, cancellationToken: cancellationToken);
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
    private static string SecretOf(string token)
    {
        string credentials = JoinToken.Parse(token.Trim()).Credentials;
        return credentials.StartsWith("server:", StringComparison.Ordinal) ? credentials["server:".Length..] : credentials;
    }

    private static bool SameFiles(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(f => b.TryGetValue(f.Key, out string? text) && text == f.Value);
}
