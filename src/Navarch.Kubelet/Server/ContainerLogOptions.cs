using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Navarch.Kubelet.Server;

/// <summary>
/// The query of <c>/containerLogs/{namespace}/{pod}/{container}</c> — the fields of the Kubernetes
/// <c>PodLogOptions</c> a kubelet honours: follow, previous, timestamps, tailLines, sinceSeconds or sinceTime, limitBytes.
/// </summary>
internal sealed record ContainerLogOptions
{
    public bool Follow { get; init; }

    public bool Previous { get; init; }

    public bool Timestamps { get; init; }

    /// <summary>Only the last N lines (null: all).</summary>
    public long? TailLines { get; init; }

    /// <summary>Only lines logged at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Stop after this many bytes of output.</summary>
    public long? LimitBytes { get; init; }

    /// <summary>Parses the query; throws <see cref="FormatException"/> with a user-facing message on a bad value.</summary>
    public static ContainerLogOptions Parse(IQueryCollection query, DateTimeOffset now)
    {
        long? sinceSeconds = Long(query, "sinceSeconds");
        DateTimeOffset? sinceTime = query.TryGetValue("sinceTime", out var t) && t.ToString().Length > 0
            ? DateTimeOffset.TryParse(t.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed) ? parsed : throw new FormatException($"sinceTime: invalid value {t}")
            : null;
        if (sinceSeconds is not null && sinceTime is not null)
        {
            throw new FormatException("at most one of sinceTime or sinceSeconds may be specified");
        }

        if (sinceSeconds is < 1)
        {
            throw new FormatException("sinceSeconds: must be greater than 0");
        }

        long? tail = Long(query, "tailLines");
        if (tail is < 0)
        {
            throw new FormatException("tailLines: must be greater than or equal to 0");
        }

        long? limit = Long(query, "limitBytes");
        if (limit is < 1)
        {
            throw new FormatException("limitBytes: must be greater than 0");
        }

        return new ContainerLogOptions
        {
            Follow = Bool(query, "follow"),
            Previous = Bool(query, "previous"),
            Timestamps = Bool(query, "timestamps"),
            TailLines = tail,
            Since = sinceTime ?? (sinceSeconds is { } s ? now.AddSeconds(-s) : null),
            LimitBytes = limit,
        };
    }

    internal static bool Bool(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var v) && v.ToString() is "true" or "1" or "True";

    private static long? Long(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var v) || v.ToString().Length == 0)
        {
            return null;
        }

        return long.TryParse(v.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : throw new FormatException($"{name}: invalid value {v}");
    }
}
