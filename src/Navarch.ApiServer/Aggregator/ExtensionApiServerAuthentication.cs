using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// The content of kube-apiserver's <c>kube-system/extension-apiserver-authentication</c> ConfigMap: what an extension API
/// server reads to trust the aggregator — the client CA, and the request-header CA, allowed names and header names of
/// the front proxy. As the cluster-authentication-trust controller builds it, what is there is kept and this server's
/// own values are added: string lists are unioned (existing first) and CA bundles merged without duplicates or
/// certificates expired more than five minutes, so servers with different CAs (or a renewed one) are all trusted.
/// </summary>
internal static class ExtensionApiServerAuthentication
{
    public const string Namespace = "kube-system";

    public const string Name = "extension-apiserver-authentication";

    private static readonly string[] ListKeys =
        ["requestheader-username-headers", "requestheader-group-headers", "requestheader-extra-headers-prefix", "requestheader-allowed-names"];

    /// <summary>
    /// The data to write over <paramref name="existing"/> (null when there is no ConfigMap); keys other than the known
    /// ones are dropped. A value that does not parse — a list that is not a JSON string array, a CA bundle without a
    /// certificate — is a <see cref="FormatException"/>, as kube's controller fails (and retries) on it.
    /// </summary>
    public static Dictionary<string, string> Data(IDictionary<string, string>? existing, ClusterPki pki, FrontProxyPki frontProxy, DateTimeOffset now)
    {
        existing ??= new Dictionary<string, string>();
        string? Existing(string key) => existing.TryGetValue(key, out string? value) ? value : null;
        var required = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["requestheader-username-headers"] = ["X-Remote-User"],
            ["requestheader-group-headers"] = ["X-Remote-Group"],
            ["requestheader-extra-headers-prefix"] = ["X-Remote-Extra-"],
            ["requestheader-allowed-names"] = [FrontProxyPki.ClientCommonName],
        };
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["client-ca-file"] = Bundle(Existing("client-ca-file"), pki.Ca, now),
            ["requestheader-client-ca-file"] = Bundle(Existing("requestheader-client-ca-file"), frontProxy.Ca, now),
        };
        foreach (string key in ListKeys)
        {
            data[key] = JsonSerializer.Serialize(List(Existing(key), key).Concat(required[key]).Distinct(StringComparer.Ordinal).ToArray());
        }

        return data;
    }

    private static string[] List(string? json, string key)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<string?[]>(json)?.Select(s => s ?? "").ToArray() ?? [];
        }
        catch (JsonException e)
        {
            throw new FormatException($"{key}: {e.Message}", e);
        }
    }

    /// <summary>The existing bundle's certificates then <paramref name="own"/>, each once, without the expired ones, PEM-encoded.</summary>
    private static string Bundle(string? existing, X509Certificate2 own, DateTimeOffset now)
    {
        var certificates = new List<X509Certificate2>();
        if (!string.IsNullOrEmpty(existing))
        {
            var parsed = new X509Certificate2Collection();
            try
            {
                parsed.ImportFromPem(existing);
            }
            catch (CryptographicException e)
            {
                throw new FormatException($"data does not contain any valid RSA or ECDSA certificates: {e.Message}", e);
            }

            if (parsed.Count == 0)
            {
                throw new FormatException("data does not contain any valid RSA or ECDSA certificates");
            }

            certificates.AddRange(parsed);
        }

        certificates.Add(own);
        var pem = new StringBuilder();
        var seen = new List<byte[]>();
        foreach (X509Certificate2 certificate in certificates)
        {
            byte[] raw = certificate.RawData;
            if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime.AddMinutes(-5) || seen.Any(s => s.AsSpan().SequenceEqual(raw)))
            {
                continue;
            }

            seen.Add(raw);
            pem.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        return pem.ToString();
    }
}
