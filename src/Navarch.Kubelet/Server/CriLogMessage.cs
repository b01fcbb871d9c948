namespace Navarch.Kubelet.Server;

/// <summary>One logical line of a container's output: its partial fragments joined, with the first fragment's time.</summary>
/// <param name="RawTime">The first fragment's timestamp as the runtime wrote it (RFC 3339, up to nine fractional digits).</param>
/// <param name="Stream">stdout or stderr.</param>
/// <param name="Content">The bytes of the line, ending with a newline.</param>
internal sealed record CriLogMessage(string RawTime, string Stream, byte[] Content)
{
    private (bool Ok, DateTimeOffset Time, string Text)? _parsed;

    /// <summary>When the line was logged; null when the timestamp does not parse. Parsed on first use only.</summary>
    public DateTimeOffset? Time => Parsed().Ok ? Parsed().Time : null;

    /// <summary>The timestamp with exactly nine fractional digits (Kubernetes' RFC3339NanoFixed output format).</summary>
    public string TimeText => Parsed().Text;

    private (bool Ok, DateTimeOffset Time, string Text) Parsed()
    {
        if (_parsed is null)
        {
            bool ok = CriLogParser.TryParseTime(RawTime, out DateTimeOffset time, out string text);
            _parsed = (ok, time, text);
        }

        return _parsed.Value;
    }
}
