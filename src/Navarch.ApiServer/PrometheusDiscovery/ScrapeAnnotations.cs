using System.Globalization;

namespace Navarch.ApiServer.PrometheusDiscovery;

/// <summary>
/// The annotations by which a pod or Service asks to be scraped, as Prometheus' example Kubernetes configuration reads
/// them: <c>prometheus.io/scrape: "true"</c>, and optionally <c>prometheus.io/port</c> (the port scraped instead of the
/// declared ones), <c>prometheus.io/path</c> (<c>__metrics_path__</c>) and <c>prometheus.io/scheme</c> (<c>__scheme__</c>).
/// </summary>
internal sealed record ScrapeAnnotations(int? Port, string? Path, string? Scheme)
{
    /// <summary>What <paramref name="annotations"/> ask for, or null when they do not ask to be scraped.</summary>
    public static ScrapeAnnotations? Read(IDictionary<string, string>? annotations)
    {
        if (annotations is null || !annotations.TryGetValue("prometheus.io/scrape", out string? scrape) || scrape != "true")
        {
            return null;
        }

        int? port = annotations.TryGetValue("prometheus.io/port", out string? p) && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number is > 0 and < 65536 ? number : null;
        string? path = annotations.TryGetValue("prometheus.io/path", out string? value) && value.StartsWith('/') ? value : null;
        string? scheme = annotations.TryGetValue("prometheus.io/scheme", out string? s) && s is "http" or "https" ? s : null;
        return new ScrapeAnnotations(port, path, scheme);
    }

    /// <summary>Sets the path and scheme asked for on a target's labels.</summary>
    public void Apply(Dictionary<string, string> labels)
    {
        if (Path is not null)
        {
            labels[MetaLabels.MetricsPath] = Path;
        }

        if (Scheme is not null)
        {
            labels[MetaLabels.Scheme] = Scheme;
        }
    }
}
