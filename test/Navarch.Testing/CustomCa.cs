using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.ApiServer.Pki;

namespace Navarch.Testing;

/// <summary>
/// A custom cluster CA with an RSA key, as an operator brings one to <c>navarch certificate rotate-ca --path</c> (made
/// with openssl, say): <c>server-ca.crt</c> and <c>server-ca.key</c> in a folder, and, when the current CA is given,
/// <c>server-ca-cross-signed.crt</c>.
/// </summary>
public static class CustomCa
{
    /// <summary>
    /// Writes an RSA CA of <paramref name="bits"/> into <paramref name="path"/> (its key as PKCS #1 or PKCS #8 PEM, with or
    /// without a subject key identifier) cross-signed by <paramref name="current"/> when given; returns the CA with its key.
    /// </summary>
    public static X509Certificate2 WriteRsa(string path, int bits, X509Certificate2? current, DateTimeOffset now, bool pkcs1Key = false, bool subjectKeyIdentifier = true)
    {
        using var key = RSA.Create(bits);
        var request = new CertificateRequest($"CN=custom-rsa-ca-{bits}-{Guid.NewGuid():N}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        if (subjectKeyIdentifier)
        {
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        }

        X509Certificate2 ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "server-ca.crt"), ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(path, "server-ca.key"), pkcs1Key ? key.ExportRSAPrivateKeyPem() : key.ExportPkcs8PrivateKeyPem());
        if (current is not null)
        {
            using X509Certificate2 cross = CaRotation.CrossSign(ca, current, now);
            File.WriteAllText(Path.Combine(path, "server-ca-cross-signed.crt"), cross.ExportCertificatePem() + "\n");
        }

        string pem = ca.ExportCertificatePem();
        ca.Dispose();
        return X509Certificate2.CreateFromPem(pem, key.ExportPkcs8PrivateKeyPem());
    }
}
