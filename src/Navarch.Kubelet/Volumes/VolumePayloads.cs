using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Cache;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// Builds the file payloads of the API-data volumes — configMap, secret, downwardAPI and projected — from the cached
/// ConfigMaps and Secrets (<see cref="PodObjectCache"/>), service account tokens (TokenRequest) and the pod, with the
/// kubelet's rules for items, modes and optional sources.
/// </summary>
internal sealed partial class VolumePayloads(IKubernetes client, PodObjectCache objects, TimeProvider time, ILogger logger)
{
    private const int DefaultMode = 0644;
    private static readonly TimeSpan UnsupportedRetry = TimeSpan.FromMinutes(5);
    private readonly Dictionary<string, (string? Token, DateTimeOffset RefreshAt)> _tokens = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Dictionary<string, VolumeFile> ConfigMap(string ns, V1ConfigMapVolumeSource source)
    {
        var payload = new Dictionary<string, VolumeFile>(StringComparer.Ordinal);
        V1ConfigMap? cm = ReadConfigMap(ns, source.Name, source.Optional == true);
        if (cm is not null)
        {
            AddKeys(payload, Keys(cm), source.Items, source.DefaultMode ?? DefaultMode, source.Optional == true, "configmap references non-existent config key");
        }

        return payload;
    }

    public Dictionary<string, VolumeFile> Secret(string ns, V1SecretVolumeSource source)
    {
        var payload = new Dictionary<string, VolumeFile>(StringComparer.Ordinal);
        V1Secret? secret = ReadSecret(ns, source.SecretName, source.Optional == true);
        if (secret is not null)
        {
            AddKeys(payload, Keys(secret), source.Items, source.DefaultMode ?? DefaultMode, source.Optional == true, "references non-existent secret key");
        }

        return payload;
    }

    public static Dictionary<string, VolumeFile> DownwardApi(V1Pod pod, IList<V1DownwardAPIVolumeFile>? items, int? defaultMode, string? podIp, string hostIp)
    {
        var payload = new Dictionary<string, VolumeFile>(StringComparer.Ordinal);
        foreach (V1DownwardAPIVolumeFile item in items ?? [])
        {
            string? value = item.FieldRef is { } field
                ? Volumes.DownwardApi.Field(pod, field.FieldPath, podIp, hostIp)
                : item.ResourceFieldRef is { } resource
                    ? Volumes.DownwardApi.Resource(pod, resource.ContainerName ?? "", resource.Resource, resource.Divisor)
                    : null;
            if (value is null)
            {
                throw new VolumeSetupException($"unable to resolve downward API item {item.Path}");
            }

            AtomicWriter.Validate(item.Path);
            payload[item.Path] = new VolumeFile(Encoding.UTF8.GetBytes(value), item.Mode ?? defaultMode ?? DefaultMode);
        }

        return payload;
    }

    public async Task<Dictionary<string, VolumeFile>> ProjectedAsync(V1Pod pod, V1ProjectedVolumeSource source, string? podIp, string hostIp, CancellationToken cancellationToken)
    {
        var payload = new Dictionary<string, VolumeFile>(StringComparer.Ordinal);
        int mode = source.DefaultMode ?? DefaultMode;
        string ns = pod.Metadata.NamespaceProperty;
        foreach (V1VolumeProjection projection in source.Sources ?? [])
        {
            if (projection.ConfigMap is { } c)
            {
                V1ConfigMap? cm = ReadConfigMap(ns, c.Name, c.Optional == true);
                if (cm is not null)
                {
                    AddKeys(payload, Keys(cm), c.Items, mode, c.Optional == true, "configmap references non-existent config key");
                }
            }
            else if (projection.Secret is { } s)
            {
                V1Secret? secret = ReadSecret(ns, s.Name, s.Optional == true);
                if (secret is not null)
                {
                    AddKeys(payload, Keys(secret), s.Items, mode, s.Optional == true, "references non-existent secret key");
                }
            }
            else if (projection.DownwardAPI is { } d)
            {
                foreach ((string path, VolumeFile file) in DownwardApi(pod, d.Items, mode, podIp, hostIp))
                {
                    payload[path] = file;
                }
            }
            else if (projection.ServiceAccountToken is { } t && await TokenAsync(pod, t, cancellationToken).ConfigureAwait(false) is { } token)
            {
                AtomicWriter.Validate(t.Path);
                payload[t.Path] = new VolumeFile(Encoding.UTF8.GetBytes(token), source.DefaultMode ?? 0600);
            }
        }

        return payload;
    }

    /// <summary>Forgets the cached tokens of a pod.</summary>
    public void Forget(string podUid)
    {
        lock (_lock)
        {
            foreach (string key in _tokens.Keys.Where(k => k.StartsWith(podUid + "/", StringComparison.Ordinal)).ToList())
            {
                _tokens.Remove(key);
            }
        }
    }

    /// <summary>
    /// A pod-bound service account token from the TokenRequest API, renewed at 80% of its life as the kubelet does;
    /// null (the file is left out, asked again after five minutes) when the API server does not offer TokenRequest.
    /// </summary>
    private async Task<string?> TokenAsync(V1Pod pod, V1ServiceAccountTokenProjection projection, CancellationToken cancellationToken)
    {
        string key = $"{pod.Metadata.Uid}/{projection.Path}";
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            if (_tokens.TryGetValue(key, out var cached) && now < cached.RefreshAt)
            {
                return cached.Token;
            }
        }

        long seconds = projection.ExpirationSeconds ?? 3600;
        var request = new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = string.IsNullOrEmpty(projection.Audience) ? [] : [projection.Audience],
                ExpirationSeconds = seconds,
                BoundObjectRef = new V1BoundObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            },
        };
        try
        {
            string account = string.IsNullOrEmpty(pod.Spec.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
            Authenticationv1TokenRequest issued = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, account, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            string token = issued.Status?.Token ?? "";
            lock (_lock)
            {
                _tokens[key] = (token, now + TimeSpan.FromSeconds(seconds * 0.8));
            }

            return token;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest)
        {
            LogNoTokenRequest(logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, (int)e.Response.StatusCode);
            lock (_lock)
            {
                _tokens[key] = (null, now + UnsupportedRetry);
            }

            return null;
        }
    }

    private static Dictionary<string, byte[]> Keys(V1ConfigMap cm)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> kv in cm.Data ?? new Dictionary<string, string>())
        {
            keys[kv.Key] = Encoding.UTF8.GetBytes(kv.Value ?? "");
        }

        foreach (KeyValuePair<string, byte[]> kv in cm.BinaryData ?? new Dictionary<string, byte[]>())
        {
            keys[kv.Key] = kv.Value ?? [];
        }

        return keys;
    }

    private static Dictionary<string, byte[]> Keys(V1Secret secret)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> kv in secret.StringData ?? new Dictionary<string, string>())
        {
            keys[kv.Key] = Encoding.UTF8.GetBytes(kv.Value ?? "");
        }

        foreach (KeyValuePair<string, byte[]> kv in secret.Data ?? new Dictionary<string, byte[]>())
        {
            keys[kv.Key] = kv.Value ?? [];
        }

        return keys;
    }

    /// <summary>Every key as a file of its name, or only the listed items at their paths (a missing key fails unless optional).</summary>
    private static void AddKeys(Dictionary<string, VolumeFile> payload, Dictionary<string, byte[]> keys, IList<V1KeyToPath>? items, int mode, bool optional, string missing)
    {
        if (items is null || items.Count == 0)
        {
            foreach ((string key, byte[] data) in keys)
            {
                AtomicWriter.Validate(key);
                payload[key] = new VolumeFile(data, mode);
            }

            return;
        }

        foreach (V1KeyToPath item in items)
        {
            if (!keys.TryGetValue(item.Key, out byte[]? data))
            {
                if (optional)
                {
                    continue;
                }

                throw new VolumeSetupException($"{missing}: {item.Key}");
            }

            AtomicWriter.Validate(item.Path);
            payload[item.Path] = new VolumeFile(data, item.Mode ?? mode);
        }
    }

    private V1ConfigMap? ReadConfigMap(string ns, string name, bool optional) =>
        objects.ConfigMap(ns, name) ?? (optional ? null : throw new VolumeSetupException($"configmap \"{name}\" not found"));

    private V1Secret? ReadSecret(string ns, string name, bool optional) =>
        objects.Secret(ns, name) ?? (optional ? null : throw new VolumeSetupException($"secret \"{name}\" not found"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: the API server does not offer TokenRequest ({Status}); the projected serviceAccountToken is left out")]
    private static partial void LogNoTokenRequest(ILogger logger, string @namespace, string pod, int status);
}
