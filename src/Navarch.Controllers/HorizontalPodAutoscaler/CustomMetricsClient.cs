using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Navarch.Client;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// kube-controller-manager's custom metrics client: reads <c>custom.metrics.k8s.io/v1beta2</c> MetricValueLists through
/// the API server, which proxies the group to whichever adapter an APIService names (prometheus-adapter, KEDA ...).
/// Values are read in milli-units, as the HPA counts.
/// </summary>
internal sealed class CustomMetricsClient(RawApi api)
{
    private const string Prefix = "/apis/custom.metrics.k8s.io/v1beta2";

    // The window assumed when an adapter leaves windowSeconds out (metricServerDefaultMetricWindow).
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(1);

    private readonly DiscoveryResources _discovery = new(api);

    /// <summary>GetRawMetric: <paramref name="metricName"/> of each pod in <paramref name="ns"/> the selector matches, by pod name.</summary>
    public async Task<IReadOnlyDictionary<string, PodMetric>> GetRawMetricAsync(string metricName, string ns, string podSelector, string metricSelector, CancellationToken cancellationToken)
    {
        List<JsonElement> items = await ListAsync($"{Prefix}/namespaces/{ns}/pods/*/{Uri.EscapeDataString(metricName)}{Query(podSelector, metricSelector)}", cancellationToken).ConfigureAwait(false);
        if (items.Count == 0)
        {
            throw new MetricsException("no metrics returned from custom metrics API");
        }

        var metrics = new Dictionary<string, PodMetric>(StringComparer.Ordinal);
        foreach (JsonElement item in items)
        {
            TimeSpan window = item.TryGetProperty("windowSeconds", out JsonElement w) && w.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(w.GetInt64()) : DefaultWindow;
            metrics[item.GetProperty("describedObject").GetProperty("name").GetString() ?? ""] = new PodMetric(MilliValue(item), Timestamp(item), window);
        }

        return metrics;
    }

    /// <summary>GetObjectMetric: <paramref name="metricName"/> of the object <paramref name="described"/> names, and when it was sampled.</summary>
    public async Task<(long MilliValue, DateTimeOffset Timestamp)> GetObjectMetricAsync(string metricName, string ns, V2CrossVersionObjectReference described, string metricSelector, CancellationToken cancellationToken)
    {
        string path;
        if (described.Kind == "Namespace" && described.ApiVersion?.Contains('/', StringComparison.Ordinal) != true)
        {
            // A namespace's own metrics are root-scoped; the reference cannot escape the HPA's namespace.
            path = $"{Prefix}/namespaces/{ns}/metrics/{Uri.EscapeDataString(metricName)}";
        }
        else
        {
            DiscoveryResources.Mapping mapping;
            try
            {
                mapping = await _discovery.MapAsync(described.ApiVersion, described.Kind, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or Client.ApiException)
            {
                throw new MetricsException($"unable to fetch metrics from custom metrics API: {e.Message}", e);
            }

            path = $"{Prefix}/namespaces/{ns}/{mapping.GroupResource}/{Uri.EscapeDataString(described.Name)}/{Uri.EscapeDataString(metricName)}";
        }

        List<JsonElement> items = await ListAsync(path + Query("", metricSelector), cancellationToken).ConfigureAwait(false);
        return items.Count == 1
            ? (MilliValue(items[0]), Timestamp(items[0]))
            : throw new MetricsException($"unable to fetch metrics from custom metrics API: the custom metrics API server returned {items.Count} results when we asked for exactly one");
    }

    private async Task<List<JsonElement>> ListAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        try
        {
            using JsonDocument document = await api.GetJsonAsync(pathAndQuery, cancellationToken).ConfigureAwait(false);
            return document.RootElement.TryGetProperty("items", out JsonElement items) && items.ValueKind == JsonValueKind.Array
                ? items.EnumerateArray().Select(i => i.Clone()).ToList()
                : [];
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or Client.ApiException or JsonException)
        {
            throw new MetricsException($"unable to fetch metrics from custom metrics API: {e.Message}", e);
        }
    }

    /// <summary>The MetricListOptions query: labelSelector (pods) and metricLabelSelector, each only when set.</summary>
    internal static string Query(string labelSelector, string metricSelector)
    {
        var parts = new List<string>(2);
        if (labelSelector.Length > 0)
        {
            parts.Add("labelSelector=" + Uri.EscapeDataString(labelSelector));
        }

        if (metricSelector.Length > 0)
        {
            parts.Add("metricLabelSelector=" + Uri.EscapeDataString(metricSelector));
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>An item's <c>value</c> in milli-units (Quantity.MilliValue).</summary>
    internal static long MilliValue(JsonElement item) => ReplicaCalculator.MilliValue(new ResourceQuantity(item.GetProperty("value").GetString()));

    /// <summary>An item's <c>timestamp</c>, or the zero time when it has none.</summary>
    internal static DateTimeOffset Timestamp(JsonElement item) =>
        item.TryGetProperty("timestamp", out JsonElement t) && t.GetString() is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : default;
}
