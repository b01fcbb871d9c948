using Microsoft.AspNetCore.Http;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Adds warnings to a response as <c>Warning: 299 - "text"</c> headers, which kubectl prints as <c>Warning: text</c>
/// (k8s.io/apiserver's warning recorder): each distinct text once, and none once the response has started.
/// </summary>
internal sealed class WarningRecorder(HttpResponse response)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="text"/>.</summary>
    public void Add(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        lock (_lock)
        {
            if (!response.HasStarted && _seen.Add(text))
            {
                response.Headers.Append("Warning", Header(text));
            }
        }
    }

    /// <summary>The header value of a warning: RFC 7234 warn-code 299, agent "-", the text as a quoted string.</summary>
    public static string Header(string text) =>
        $"299 - \"{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).ReplaceLineEndings(" ")}\"";
}
