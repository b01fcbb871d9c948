using System.Text;
using System.Text.Json;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Images;

/// <summary>
/// The kubelet's keyring of registry credentials from a pod's imagePullSecrets (<c>kubernetes.io/dockerconfigjson</c>
/// and <c>kubernetes.io/dockercfg</c>), matched to an image as Kubernetes' credentialprovider does: a key is a host
/// (globs allowed per dot-separated part, e.g. <c>*.example.com</c>), an optional port that must be equal, and an
/// optional path that the image's repository must start with; <c>/v1/</c> and <c>/v2/</c> paths mean the whole host,
/// and Docker Hub's keys (<c>index.docker.io</c>, <c>https://index.docker.io/v1/</c>) serve unqualified images.
/// </summary>
public sealed class PullCredentials
{
    private const string DockerHub = "index.docker.io";

    private readonly List<(string Key, AuthConfig Auth)> _entries = [];

    /// <summary>Builds the keyring from secrets, in their order; secrets of other types and unreadable configs are skipped.</summary>
    public static PullCredentials From(IEnumerable<V1Secret> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var keyring = new PullCredentials();
        foreach (V1Secret secret in secrets)
        {
            (string DataKey, bool Wrapped)? format = secret.Type switch
            {
                "kubernetes.io/dockerconfigjson" => (".dockerconfigjson", true),
                "kubernetes.io/dockercfg" => (".dockercfg", false),
                _ => null,
            };
            if (format is null || secret.Data?.TryGetValue(format.Value.DataKey, out byte[]? bytes) != true || bytes is null)
            {
                continue;
            }

            keyring.Add(bytes, format.Value.Wrapped);
        }

        return keyring;
    }

    /// <summary>The credentials to try for <paramref name="image"/>, most specific key first (empty: pull anonymously).</summary>
    public IReadOnlyList<AuthConfig> Lookup(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        string repository = Repository(image);
        var found = _entries.Where(e => Matches(e.Key, repository))
            .OrderByDescending(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Auth)
            .ToList();
        if (found.Count == 0 && repository.StartsWith("docker.io/", StringComparison.Ordinal))
        {
            found.AddRange(_entries.Where(e => e.Key == DockerHub).Select(e => e.Auth));
        }

        return found;
    }

    /// <summary>An image's repository with its registry host made explicit (Docker Hub's is <c>docker.io</c>).</summary>
    public static string Repository(string image)
    {
        string name = image.Split('@')[0];
        int slash = name.LastIndexOf('/');
        int colon = name.LastIndexOf(':');
        if (colon > slash)
        {
            name = name[..colon];
        }

        int first = name.IndexOf('/');
        string head = first < 0 ? "" : name[..first];
        bool hasRegistry = first >= 0 && (head.Contains('.') || head.Contains(':') || head == "localhost");
        if (hasRegistry)
        {
            return head == DockerHub ? "docker.io" + name[first..] : name;
        }

        return first < 0 ? "docker.io/library/" + name : "docker.io/" + name;
    }

    private void Add(byte[] bytes, bool wrapped)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(bytes).RootElement.Clone();
        }
        catch (JsonException)
        {
            return;
        }

        if (wrapped)
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("auths", out root))
            {
                return;
            }
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (JsonProperty registry in root.EnumerateObject())
        {
            if (registry.Value.ValueKind == JsonValueKind.Object && Key(registry.Name) is { } key)
            {
                _entries.Add((key, Auth(registry.Value)));
            }
        }
    }

    /// <summary>A config key as the keyring stores it: host[:port][/path], scheme and a /v1/ or /v2/ path dropped.</summary>
    private static string? Key(string registry)
    {
        // Parsed by hand, not as a Uri: a key's host may be a glob such as *.example.com.
        string value = registry.Trim();
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            value = value[(scheme + 3)..];
        }

        int slash = value.IndexOf('/');
        string authority = (slash < 0 ? value : value[..slash]).ToLowerInvariant();
        string path = slash < 0 ? "" : value[slash..];
        if (path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            path = path[3..];
        }

        if (authority.Length == 0 || authority.StartsWith(':'))
        {
            return null;
        }

        if (authority.EndsWith(":443", StringComparison.Ordinal) && scheme >= 0 && registry.StartsWith("https", StringComparison.OrdinalIgnoreCase))
        {
            authority = authority[..^4];
        }

        path = path.TrimEnd('/');
        return authority + path;
    }

    private static AuthConfig Auth(JsonElement entry)
    {
        string Get(string name) => entry.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

        string username = Get("username");
        string password = Get("password");
        string auth = Get("auth");
        if (auth.Length > 0)
        {
            // As Kubernetes decodes a DockerConfigEntry: "auth" is base64 "user:password" and wins over the fields.
            try
            {
                string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                int colon = decoded.IndexOf(':');
                if (colon > 0)
                {
                    username = decoded[..colon];
                    password = decoded[(colon + 1)..];
                }
            }
            catch (FormatException)
            {
            }
        }

        // No server_address: the runtime applies the credentials to the host it pulls from (containerd refuses a
        // server address that is not a URL, and a keyring key may be a glob or carry a path).
        return new AuthConfig { Username = username, Password = password, Auth = auth };
    }

    private static bool Matches(string key, string repository)
    {
        (string keyHost, string keyPort, string keyPath) = Split(key);
        (string host, string port, string path) = Split(repository);
        string[] keyParts = keyHost.Split('.');
        string[] parts = host.Split('.');
        if (keyParts.Length != parts.Length || keyPort != port)
        {
            return false;
        }

        for (int i = 0; i < parts.Length; i++)
        {
            if (!Glob(keyParts[i], parts[i]))
            {
                return false;
            }
        }

        return path.StartsWith(keyPath, StringComparison.Ordinal);
    }

    private static (string Host, string Port, string Path) Split(string value)
    {
        int slash = value.IndexOf('/');
        string authority = slash < 0 ? value : value[..slash];
        string path = slash < 0 ? "" : value[slash..];
        int colon = authority.LastIndexOf(':');
        return colon < 0 ? (authority, "", path) : (authority[..colon], authority[(colon + 1)..], path);
    }

    /// <summary>Shell-style match of one host label: <c>*</c> any run, <c>?</c> one character.</summary>
    private static bool Glob(string pattern, string text)
    {
        if (pattern.Length == 0)
        {
            return text.Length == 0;
        }

        return pattern[0] switch
        {
            '*' => Enumerable.Range(0, text.Length + 1).Any(i => Glob(pattern[1..], text[i..])),
            '?' => text.Length > 0 && Glob(pattern[1..], text[1..]),
            _ => text.Length > 0 && char.ToLowerInvariant(pattern[0]) == char.ToLowerInvariant(text[0]) && Glob(pattern[1..], text[1..]),
        };
    }
}
