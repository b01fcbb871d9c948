using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Navarch.Client;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// Reads PodMetrics from <c>metrics.k8s.io/v1beta1</c> through the API server, as kube-controller-manager's resource
/// metrics client does, so whatever serves that API (Navarch's built-in source or a real metrics-server behind the
/// aggregator) feeds the HPA.
/// </summary>
internal sealed class ResourceMetricsClient(RawApi api) : IResourceMetricsClient
{
    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, PodMetric>> GetPodMetricsAsync(string ns, string labelSelector, string resource, string? container, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await api.GetJsonAsync($"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods?labelSelector={Uri.EscapeDataString(labelSelector)}", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or Client.ApiException)
        {
            throw new MetricsException($"unable to get metrics for resource {resource}: unable to fetch metrics from resource metrics API: {e.Message}", e);
        }

        using (document)
        {
            var metrics = new Dictionary<string, PodMetric>(StringComparer.Ordinal);
            foreach (JsonElement item in document.RootElement.GetProperty("items").EnumerateArray())
            {
                string name = item.GetProperty("metadata").GetProperty("name").GetString() ?? "";
                DateTimeOffset timestamp = item.TryGetProperty("timestamp", out JsonElement t) && t.GetString() is { } ts ? DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture) : default;
                TimeSpan window = item.TryGetProperty("window", out JsonElement w) && w.GetString() is { } ws ? GoDuration(ws) : TimeSpan.Zero;
                long total = 0;
                bool found = false;
                foreach (JsonElement c in item.GetProperty("containers").EnumerateArray())
                {
                    if (container is not null && c.GetProperty("name").GetString() != container)
                    {
                        continue;
                    }

                    if (c.GetProperty("usage").TryGetProperty(resource, out JsonElement usage) && usage.GetString() is { } quantity)
                    {
                        total += ReplicaCalculator.MilliValue(new ResourceQuantity(quantity));
                        found = true;
                    }
                }

                if (found)
                {
                    metrics[name] = new PodMetric(total, timestamp, window);
                }
            }

            return metrics.Count == 0
                ? throw new MetricsException($"unable to get metrics for resource {resource}: no metrics returned from resource metrics API")
                : metrics;
        }
    }

    // metrics-server writes the window as a Go duration ("15s", "20.5s", "1m0s").
    private static TimeSpan GoDuration(string text)
    {
        TimeSpan total = TimeSpan.Zero;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            double value = double.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            int unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            total += text[unitStart..i] switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => TimeSpan.FromSeconds(value),
            };
        }

        return total;
    }
}
