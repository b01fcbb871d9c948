using System.Text.Json;
using Navarch.Client;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// kube-controller-manager's external metrics client: reads <c>external.metrics.k8s.io/v1beta1</c>
/// ExternalMetricValueLists (a queue's length, a load balancer's request rate) through the API server, which proxies
/// the group to the adapter an APIService names. Values are read in milli-units.
/// </summary>
internal sealed class ExternalMetricsClient(RawApi api)
{
    /// <summary>GetExternalMetric: every series of <paramref name="metricName"/> the selector matches, and the first one's timestamp.</summary>
    public async Task<(IReadOnlyList<long> MilliValues, DateTimeOffset Timestamp)> GetExternalMetricAsync(string metricName, string ns, string metricSelector, CancellationToken cancellationToken)
    {
        string query = metricSelector.Length == 0 ? "" : "?labelSelector=" + Uri.EscapeDataString(metricSelector);
        List<JsonElement> items;
        try
        {
            using JsonDocument document = await api.GetJsonAsync($"/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{Uri.EscapeDataString(metricName)}{query}", cancellationToken).ConfigureAwait(false);
            items = document.RootElement.TryGetProperty("items", out JsonElement list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(i => i.Clone()).ToList()
                : [];
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or Client.ApiException or JsonException)
        {
            throw new MetricsException($"unable to fetch metrics from external metrics API: {e.Message}", e);
        }

        return items.Count == 0
            ? throw new MetricsException("no metrics returned from external metrics API")
            : (items.Select(CustomMetricsClient.MilliValue).ToList(), CustomMetricsClient.Timestamp(items[0]));
    }
}
