using System.Globalization;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Logging;

namespace Navarch.ApiServer.ContainerLogs;

/// <summary>
/// pods/log's window over a log — <c>sinceSeconds</c>, <c>sinceTime</c>, <c>tailLines</c> — read and validated as
/// kube-apiserver validates PodLogOptions: a value that does not parse is a 400, one out of range a 422 Invalid of the
/// kind given, naming the field.
/// </summary>
/// <param name="SinceNanos">Only lines at or after this time (nanoseconds since the epoch), or null.</param>
/// <param name="TailLines">Only the last N lines, or null for all.</param>
internal sealed record LogWindow(long? SinceNanos, long? TailLines)
{
    /// <summary>Reads the window from <paramref name="q"/>, as of <paramref name="now"/>.</summary>
    public static LogWindow Parse(IQueryCollection q, DateTimeOffset now, string kind, string group, string name)
    {
        ArgumentNullException.ThrowIfNull(q);
        long? sinceSeconds = Number(q, "sinceSeconds");
        long? tailLines = Number(q, "tailLines");
        DateTimeOffset? sinceTime = null;
        if (q["sinceTime"].ToString() is { Length: > 0 } text)
        {
            sinceTime = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed)
                ? parsed
                : throw ApiErrors.BadRequest($"invalid sinceTime: {Clip(text)}");
        }

        var errors = new List<FieldError>();
        if (tailLines < 0)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "tailLines", tailLines, "must be greater than or equal to 0"));
        }

        if (sinceSeconds is not null && sinceTime is not null)
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, "", null, "at most one of `sinceTime` or `sinceSeconds` may be specified"));
        }
        else if (sinceSeconds < 1)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "sinceSeconds", sinceSeconds, "must be greater than 0"));
        }

        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(kind, group, name, errors);
        }

        long? since = sinceTime is { } at ? LogTime.FromDateTimeOffset(at)
            : sinceSeconds is { } s ? LogTime.FromDateTimeOffset(now - TimeSpan.FromSeconds(Math.Min(s, 100L * 365 * 24 * 3600)))
            : null;
        return new LogWindow(since, tailLines);
    }

    private static long? Number(IQueryCollection q, string name) =>
        q[name].ToString() is { Length: > 0 } text
            ? long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : throw ApiErrors.BadRequest($"invalid {name}: {Clip(text)}")
            : null;

    private static string Clip(string text) => text.Length > 64 ? text[..64] + "..." : text;
}
