using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;

namespace Navarch.ApiServer.Pki;

/// <summary>
/// k3s's <c>certificate rotate-ca</c>, offline: a new cluster CA from a folder (<c>server-ca.crt</c>,
/// <c>server-ca.key</c>, optionally <c>server-ca-cross-signed.crt</c> — the new CA signed by the current one — and
/// <c>service.key</c>) is checked, then installed as the signing CA while the current one stays a trust root
/// (<see cref="ClusterPki.PreviousCaFile"/>); the server's leaf certificates are reissued under the new CA at its next
/// start (<see cref="ClusterPki"/> reissues any leaf the signing CA did not sign). The install is all or nothing: the
/// new TLS folder is written beside the current one and swapped in by renames, the old one kept as a backup
/// (<c>tls-&lt;unix time&gt;</c>, as k3s); <see cref="Recover"/> finishes a swap a crash interrupted.
/// </summary>
public static class CaRotation
{
    private const string Staging = ".new";

    // A CA rotated while the server ran, installed at its next start.
    private const string Pending = ".pending";

    // What NIST and Go's crypto/x509 defaults still accept for an RSA signer.
    private const int MinimumRsaBits = 2048;

    /// <summary>
    /// Checks the new CA in <paramref name="path"/> against the cluster's current CA <paramref name="current"/> at
    /// <paramref name="now"/>; without a cross-signed CA the rotation is refused unless <paramref name="force"/>
    /// (clients that trust only the current CA would stop trusting the server).
    /// </summary>
    /// <exception cref="InvalidDataException">What is wrong with the new CA, in one line.</exception>
    public static void Validate(string path, X509Certificate2 current, DateTimeOffset now, bool force)
    {
        ArgumentNullException.ThrowIfNull(current);
        using X509Certificate2 ca = LoadCa(path, now);
        if (ca.PublicKey.EncodedKeyValue.RawData.AsSpan().SequenceEqual(current.PublicKey.EncodedKeyValue.RawData))
        {
            throw new InvalidDataException($"{Path.Combine(path, "server-ca.crt")} has the key of the current cluster CA: generate a new one (navarch certificate generate-ca)");
        }

        string crossPath = Path.Combine(path, ClusterPki.CrossSignedCaFile);
        if (!File.Exists(crossPath))
        {
            if (!force)
            {
                throw new InvalidDataException($"{crossPath} is missing: without the new CA cross-signed by the current one, clients and agents that trust only the current CA stop trusting the server; pass --force to rotate anyway");
            }
        }
        else
        {
            X509Certificate2Collection cross = ClusterPki.ReadCertificates(crossPath);
            if (cross.Count != 1 || !cross[0].PublicKey.EncodedKeyValue.RawData.AsSpan().SequenceEqual(ca.PublicKey.EncodedKeyValue.RawData) || !IsCa(cross[0]))
            {
                throw new InvalidDataException($"{crossPath} is not the CA of server-ca.crt cross-signed by the current one");
            }

            if (!CertificateChains.Verify(cross[0], current, usage: null, now))
            {
                throw new InvalidDataException($"{crossPath} is not signed by the current cluster CA ({current.Subject}) or is not valid now");
            }
        }

        string serviceKey = Path.Combine(path, ClusterPki.ServiceKeyFile);
        if (File.Exists(serviceKey))
        {
            using var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(File.ReadAllText(serviceKey));
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw new InvalidDataException($"{serviceKey} is not an ECDSA private key in PEM", e);
            }

            if (key.KeySize != 256)
            {
                throw new InvalidDataException($"{serviceKey} is not a P-256 key (service account tokens are ES256)");
            }
        }
    }

    /// <summary>
    /// Installs the new CA from <paramref name="path"/> (checked by <see cref="Validate"/>) into the TLS folder
    /// <paramref name="tlsDir"/>: the new CA signs, the current one stays trusted, the leaf certificates are dropped so
    /// the next start issues them under the new CA. Returns the backup folder of the previous state.
    /// </summary>
    public static string Install(string tlsDir, string path, DateTimeOffset now)
    {
        tlsDir = Path.GetFullPath(tlsDir);
        string staging = tlsDir + Staging;
        if (Directory.Exists(staging))
        {
            // A rotation that crashed before its swap: the current folder is intact, the staged one is discarded.
            Directory.Delete(staging, recursive: true);
        }

        PrivateFiles.CreateDirectory(staging);
        var replaced = new HashSet<string>(StringComparer.Ordinal)
        {
            ClusterPki.CaName + ".crt", ClusterPki.CaName + ".key", ClusterPki.PreviousCaFile, ClusterPki.CrossSignedCaFile,
        };
        foreach (string leaf in ClusterPki.LeafNames)
        {
            replaced.Add(leaf + ".crt");
            replaced.Add(leaf + ".key");
        }

        if (File.Exists(Path.Combine(path, ClusterPki.ServiceKeyFile)))
        {
            replaced.Add(ClusterPki.ServiceKeyFile);
            Copy(Path.Combine(path, ClusterPki.ServiceKeyFile), Path.Combine(staging, ClusterPki.ServiceKeyFile));
        }

        foreach (string file in Directory.EnumerateFiles(tlsDir))
        {
            if (!replaced.Contains(Path.GetFileName(file)) && !file.EndsWith(".tmp", StringComparison.Ordinal))
            {
                Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            }
        }

        // The current signing CA becomes the trust root kept for the transition (one rotation at a time: an older one is dropped).
        using X509Certificate2 current = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(tlsDir, ClusterPki.CaName + ".crt"));
        ClusterPki.WriteAtomically(Path.Combine(staging, ClusterPki.PreviousCaFile), current.ExportCertificatePem() + "\n");
        using X509Certificate2 ca = LoadCa(path, now);
        ClusterPki.WriteAtomically(Path.Combine(staging, ClusterPki.CaName + ".key"), File.ReadAllText(Path.Combine(path, ClusterPki.CaName + ".key")));
        ClusterPki.WriteAtomically(Path.Combine(staging, ClusterPki.CaName + ".crt"), ca.ExportCertificatePem() + "\n");
        if (File.Exists(Path.Combine(path, ClusterPki.CrossSignedCaFile)))
        {
            Copy(Path.Combine(path, ClusterPki.CrossSignedCaFile), Path.Combine(staging, ClusterPki.CrossSignedCaFile));
        }

        string backup = $"{tlsDir}-{now.ToUnixTimeSeconds()}";
        Directory.Move(tlsDir, backup);
        // A crash here leaves no TLS folder but the staged one: Recover (at the next load) completes the swap.
        Directory.Move(staging, tlsDir);
        return backup;
    }

    /// <summary>
    /// Stages the new CA from <paramref name="path"/> (checked by <see cref="Validate"/>) beside the TLS folder
    /// <paramref name="tlsDir"/> of a running server (<c>tls.pending</c>, 0700, files 0600), replacing one staged
    /// before: <see cref="InstallStaged"/> installs it at the server's next start (k3s: "restart servers to take
    /// effect"). Returns the staged folder.
    /// </summary>
    public static string Stage(string tlsDir, string path)
    {
        string staged = Path.GetFullPath(tlsDir) + Pending, temp = staged + ".tmp";
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        PrivateFiles.CreateDirectory(temp);
        foreach (string file in new[] { ClusterPki.CaName + ".crt", ClusterPki.CaName + ".key", ClusterPki.CrossSignedCaFile, ClusterPki.ServiceKeyFile })
        {
            if (File.Exists(Path.Combine(path, file)))
            {
                Copy(Path.Combine(path, file), Path.Combine(temp, file));
            }
        }

        // Whole or not at all: the server never finds half a staged CA.
        if (Directory.Exists(staged))
        {
            Directory.Delete(staged, recursive: true);
        }

        Directory.Move(temp, staged);
        return staged;
    }

    /// <summary>
    /// Installs the CA <see cref="Stage"/> left beside <paramref name="tlsDir"/>, if any, and removes it: at the load of
    /// the server's certificates, so a rotation made while the server ran takes effect at its restart. Returns the
    /// backup folder, or null when nothing was staged (or the staged CA is already the signing one: a crash between the
    /// install and the removal).
    /// </summary>
    public static string? InstallStaged(string tlsDir, DateTimeOffset now)
    {
        tlsDir = Path.GetFullPath(tlsDir);
        string staged = tlsDir + Pending, current = Path.Combine(tlsDir, ClusterPki.CaName + ".crt");
        if (!Directory.Exists(staged) || !File.Exists(current))
        {
            return null;
        }

        string? backup = null;
        using (X509Certificate2 installed = X509CertificateLoader.LoadCertificateFromFile(current))
        using (X509Certificate2 next = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(staged, ClusterPki.CaName + ".crt")))
        {
            if (installed.Thumbprint != next.Thumbprint)
            {
                backup = Install(tlsDir, staged, now);
            }
        }

        Directory.Delete(staged, recursive: true);
        return backup;
    }

    /// <summary>Drops a CA staged for the next start (an offline rotation supersedes it).</summary>
    public static void DiscardStaged(string tlsDir)
    {
        string staged = Path.GetFullPath(tlsDir) + Pending;
        if (Directory.Exists(staged))
        {
            Directory.Delete(staged, recursive: true);
        }
    }

    /// <summary>Completes an install a crash interrupted between its two renames (no TLS folder, a staged one).</summary>
    public static void Recover(string tlsDir)
    {
        tlsDir = Path.GetFullPath(tlsDir);
        if (!Directory.Exists(tlsDir) && Directory.Exists(tlsDir + Staging))
        {
            Directory.Move(tlsDir + Staging, tlsDir);
        }
    }

    /// <summary>
    /// Writes a new cluster CA into <paramref name="path"/> (0700, files 0600): <c>server-ca.crt</c>,
    /// <c>server-ca.key</c> and, when <paramref name="current"/> (with its key) is given, the new CA cross-signed by it
    /// (k3s's <c>generate-custom-ca-certs.sh</c>).
    /// </summary>
    public static void Generate(string path, X509Certificate2? current, DateTimeOffset now)
    {
        PrivateFiles.CreateDirectory(path);
        using X509Certificate2 ca = ClusterPki.CreateCa(now);
        ClusterPki.WriteAtomically(Path.Combine(path, ClusterPki.CaName + ".key"), ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        ClusterPki.WriteAtomically(Path.Combine(path, ClusterPki.CaName + ".crt"), ca.ExportCertificatePem() + "\n");
        if (current is not null)
        {
            using X509Certificate2 cross = CrossSign(ca, current, now);
            ClusterPki.WriteAtomically(Path.Combine(path, ClusterPki.CrossSignedCaFile), cross.ExportCertificatePem() + "\n");
        }
    }

    /// <summary>
    /// <paramref name="ca"/>'s subject and key certified by <paramref name="issuer"/>: a chain from a leaf of the new CA
    /// to the old one, for clients that trust only the old CA. It cannot outlive its issuer.
    /// </summary>
    public static X509Certificate2 CrossSign(X509Certificate2 ca, X509Certificate2 issuer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(issuer);
        var request = new CertificateRequest(ca.SubjectName, ca.PublicKey, HashAlgorithmName.SHA256);
        foreach (X509Extension extension in ca.Extensions)
        {
            if (extension is X509BasicConstraintsExtension or X509KeyUsageExtension or X509SubjectKeyIdentifierExtension)
            {
                request.CertificateExtensions.Add(extension);
            }
        }

        if (CertificateIssuer.AuthorityKeyIdentifier(issuer) is { } authorityKeyId)
        {
            request.CertificateExtensions.Add(authorityKeyId);
        }

        DateTimeOffset notAfter = new(Min(ca.NotAfter.ToUniversalTime(), issuer.NotAfter.ToUniversalTime()));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        DateTimeOffset notBefore = new(Max(now.UtcDateTime - CertificateIssuer.Backdate, issuer.NotBefore.ToUniversalTime()));
        return CertificateIssuer.Sign(request, issuer, notBefore, notAfter, serial);
    }

    /// <summary>The new CA with its key, checked: key matches, an ECDSA or RSA (2048 bits or more) CA, valid now.</summary>
    private static X509Certificate2 LoadCa(string path, DateTimeOffset now)
    {
        string crt = Path.Combine(path, ClusterPki.CaName + ".crt"), key = Path.Combine(path, ClusterPki.CaName + ".key");
        if (!File.Exists(crt) || !File.Exists(key))
        {
            throw new InvalidDataException($"{path} must hold server-ca.crt and server-ca.key (navarch certificate generate-ca --path {path} writes them)");
        }

        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPemFile(crt, key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // A key of another certificate is an ArgumentException; an unreadable file a CryptographicException.
            throw new InvalidDataException($"{key} is not the key of {crt} (or either is not PEM): {e.Message.Split('\n')[0].TrimEnd('.')}", e);
        }

        try
        {
            using ECDsa? ecdsa = ca.GetECDsaPrivateKey();
            using RSA? rsa = ecdsa is null ? ca.GetRSAPrivateKey() : null;
            if (ecdsa is null && rsa is null)
            {
                throw new InvalidDataException($"{crt} has neither an ECDSA nor an RSA key: a cluster CA's key is one of them");
            }

            if (rsa is { KeySize: < MinimumRsaBits })
            {
                throw new InvalidDataException($"{crt} has an RSA key of {rsa.KeySize} bits: a cluster CA's RSA key has at least {MinimumRsaBits}");
            }

            if (!IsCa(ca))
            {
                throw new InvalidDataException($"{crt} is not a CA certificate (basic constraints CA:TRUE and keyCertSign are required)");
            }

            if (now < ca.NotBefore.ToUniversalTime() || now >= ca.NotAfter.ToUniversalTime())
            {
                throw new InvalidDataException($"{crt} is not valid now: valid from {ca.NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ} to {ca.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}");
            }

            if (!CertificateChains.Verify(ca, ca, usage: null, now))
            {
                throw new InvalidDataException($"{crt} is not self-signed: give a root CA");
            }
        }
        catch
        {
            ca.Dispose();
            throw;
        }

        return ca;
    }

    private static bool IsCa(X509Certificate2 certificate)
    {
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            return false;
        }

        X509KeyUsageExtension? usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return usage is null || (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) != 0;
    }

    /// <summary>Copies a file into the staged folder as 0600 (whatever its source's mode).</summary>
    private static void Copy(string from, string to)
    {
        File.Copy(from, to, overwrite: true);
        File.SetUnixFileMode(to, PrivateFiles.OwnerOnly);
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
