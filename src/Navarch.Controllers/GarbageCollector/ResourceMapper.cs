using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Navarch.Client;

namespace Navarch.Controllers.GarbageCollector;

/// <summary>
/// Resolves an ownerReference's apiVersion and kind to a REST resource: the monitored resources are known up front,
/// anything else is found through discovery of its group version (cached once found).
/// </summary>
internal sealed class ResourceMapper(RawApi api)
{
    private readonly ConcurrentDictionary<(string ApiVersion, string Kind), ResourceMapping> _known = new();
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, ResourceMapping>> _discovered = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="mapping"/> known without discovery.</summary>
    public void Add(ResourceMapping mapping) => _known[(mapping.ApiVersion, mapping.Kind)] = mapping;

    /// <summary>The mapping of <paramref name="kind"/> in <paramref name="apiVersion"/>, or null when the server does not serve it.</summary>
    public async Task<ResourceMapping?> ResolveAsync(string apiVersion, string kind, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue((apiVersion, kind), out ResourceMapping? known))
        {
            return known;
        }

        if (!_discovered.TryGetValue(apiVersion, out IReadOnlyDictionary<string, ResourceMapping>? kinds))
        {
            string path = apiVersion.Contains('/', StringComparison.Ordinal) ? "/apis/" + apiVersion : "/api/" + apiVersion;
            using HttpResponseMessage response = await api.SendAsync(HttpMethod.Get, path, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            await RawApi.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            using JsonDocument list = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
            var found = new Dictionary<string, ResourceMapping>(StringComparer.Ordinal);
            foreach (JsonElement r in list.RootElement.GetProperty("resources").EnumerateArray())
            {
                string plural = r.GetProperty("name").GetString() ?? "";
                string resourceKind = r.GetProperty("kind").GetString() ?? "";
                if (plural.Length > 0 && !plural.Contains('/', StringComparison.Ordinal))
                {
                    found.TryAdd(resourceKind, new ResourceMapping(apiVersion, resourceKind, plural, r.GetProperty("namespaced").GetBoolean()));
                }
            }

            _discovered[apiVersion] = kinds = found;
        }

        return kinds.GetValueOrDefault(kind);
    }
}
