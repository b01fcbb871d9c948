namespace Navarch.ApiServer.Http;

/// <summary>
/// Which discovery document a client asked for at <c>/api</c> and <c>/apis</c>: the aggregated one
/// (<c>application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList</c>, or v2beta1 from older clients) or the
/// legacy one. As kube-apiserver negotiates: media ranges by quality (stable), the first the server can write wins; a
/// range naming another group, version or kind is one it cannot.
/// </summary>
internal static class DiscoveryNegotiation
{
    public const string Group = "apidiscovery.k8s.io";
    public const string ListKind = "APIGroupDiscoveryList";

    /// <summary>The content type of the aggregated document in <paramref name="version"/>.</summary>
    public static string ContentType(string version) => $"application/json;g={Group};v={version};as={ListKind}";

    /// <summary>"v2" or "v2beta1" when <paramref name="accept"/> prefers the aggregated document; null for the legacy one.</summary>
    public static string? AggregatedVersion(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return null;
        }

        var ranges = accept.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(MediaRange.Parse)
            .Where(r => r.Quality > 0)
            .OrderByDescending(r => r.Quality);
        foreach (MediaRange range in ranges)
        {
            bool json = range.Type is "application/json" or "application/*" or "*/*";
            if (!range.Parameters.ContainsKey("g") && !range.Parameters.ContainsKey("as"))
            {
                if (json || range.Type == "application/vnd.kubernetes.protobuf")
                {
                    return null;
                }

                continue;
            }

            if (json && range.Parameters.GetValueOrDefault("g") == Group && range.Parameters.GetValueOrDefault("as") == ListKind
                && range.Parameters.GetValueOrDefault("v") is "v2" or "v2beta1")
            {
                return range.Parameters["v"];
            }
        }

        return null;
    }

    /// <summary>True when a response's <paramref name="contentType"/> is the aggregated document (parameters in any order).</summary>
    public static bool IsAggregated(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        MediaRange range = MediaRange.Parse(contentType);
        return range.Parameters.GetValueOrDefault("g") == Group && range.Parameters.GetValueOrDefault("as") == ListKind
            && range.Parameters.GetValueOrDefault("v") is "v2" or "v2beta1";
    }

    private sealed record MediaRange(string Type, double Quality, Dictionary<string, string> Parameters)
    {
        public static MediaRange Parse(string text)
        {
            string[] parts = text.Split(';', StringSplitOptions.TrimEntries);
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            double quality = 1;
            foreach (string part in parts.Skip(1))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    continue;
                }

                string key = part[..eq].Trim().ToLowerInvariant(), value = part[(eq + 1)..].Trim().Trim('"');
                if (key == "q")
                {
                    quality = double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double q) ? q : 1;
                }
                else
                {
                    parameters[key] = value;
                }
            }

            return new MediaRange(parts[0].ToLowerInvariant(), quality, parameters);
        }
    }
}
