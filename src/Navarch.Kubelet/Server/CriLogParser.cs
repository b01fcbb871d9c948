using System.Globalization;
using System.Text;

namespace Navarch.Kubelet.Server;

/// <summary>
/// Turns the lines of a CRI log file (<c>&lt;RFC3339Nano&gt; &lt;stdout|stderr&gt; &lt;P|F&gt; &lt;text&gt;</c>) into logical
/// lines: a run of partial (<c>P</c>) fragments of one stream is joined with the full (<c>F</c>) fragment that ends it.
/// Lines that do not parse are skipped, as the kubelet does.
/// </summary>
internal sealed class CriLogParser
{
    private readonly Dictionary<string, (string Time, MemoryStream Bytes)> _pending = new(StringComparer.Ordinal);

    /// <summary>Whether a partial line is waiting for the fragment that ends it.</summary>
    public bool HasPending => _pending.Count > 0;

    /// <summary>The partial lines waiting, as if ended now (a reader that cannot wait for their end).</summary>
    public IEnumerable<CriLogMessage> Flush()
    {
        foreach ((string stream, (string time, MemoryStream bytes)) in _pending)
        {
            bytes.WriteByte((byte)'\n');
            yield return new CriLogMessage(time, stream, bytes.ToArray());
        }

        _pending.Clear();
    }

    /// <summary>Feeds one file line (without its newline); returns the logical line it completes, if any.</summary>
    public CriLogMessage? Add(ReadOnlySpan<byte> line)
    {
        // Only the shape is checked here; the timestamp is parsed when a filter or the output needs it.
        int a = line.IndexOf((byte)' ');
        if (a < 20 || !char.IsAsciiDigit((char)line[0]))
        {
            return null;
        }

        ReadOnlySpan<byte> rest = line[(a + 1)..];
        string stream;
        if (rest.StartsWith("stdout "u8))
        {
            stream = "stdout";
        }
        else if (rest.StartsWith("stderr "u8))
        {
            stream = "stderr";
        }
        else
        {
            return null;
        }

        rest = rest[7..];
        int c = rest.IndexOf((byte)' ');
        ReadOnlySpan<byte> tag = c < 0 ? rest : rest[..c];
        ReadOnlySpan<byte> content = c < 0 ? [] : rest[(c + 1)..];
        bool partial = tag.Length > 0 && tag[0] == (byte)'P';
        if (_pending.Remove(stream, out var pending))
        {
            pending.Bytes.Write(content);
            if (partial)
            {
                _pending[stream] = pending;
                return null;
            }

            pending.Bytes.WriteByte((byte)'\n');
            return new CriLogMessage(pending.Time, stream, pending.Bytes.ToArray());
        }

        string time = Encoding.ASCII.GetString(line[..a]);
        if (partial)
        {
            var bytes = new MemoryStream();
            bytes.Write(content);
            _pending[stream] = (time, bytes);
            return null;
        }

        // The common case, a whole line: one allocation for its bytes.
        byte[] whole = new byte[content.Length + 1];
        content.CopyTo(whole);
        whole[^1] = (byte)'\n';
        return new CriLogMessage(time, stream, whole);
    }

    /// <summary>
    /// Parses RFC 3339 with up to nine fractional digits; <paramref name="text"/> is the same instant with exactly nine
    /// (Kubernetes' RFC3339NanoFixed), so no precision is lost on output.
    /// </summary>
    public static bool TryParseTime(string value, out DateTimeOffset time, out string text)
    {
        time = default;
        text = value;
        int dot = value.IndexOf('.', StringComparison.Ordinal);
        string seconds = value, fraction = "", zone;
        if (dot >= 0)
        {
            int end = dot + 1;
            while (end < value.Length && char.IsAsciiDigit(value[end]))
            {
                end++;
            }

            seconds = value[..dot];
            fraction = value[(dot + 1)..end];
            zone = value[end..];
        }
        else
        {
            int z = Math.Max(value.IndexOf('Z', StringComparison.Ordinal), Math.Max(value.LastIndexOf('+'), value.LastIndexOf('-')));
            if (z < 19)
            {
                return false;
            }

            seconds = value[..z];
            zone = value[z..];
        }

        if (fraction.Length > 9)
        {
            return false;
        }

        string nine = fraction.PadRight(9, '0');
        if (!DateTimeOffset.TryParse(seconds + "." + nine[..7] + zone, CultureInfo.InvariantCulture, DateTimeStyles.None, out time))
        {
            return false;
        }

        text = seconds + "." + nine + zone;
        return true;
    }
}
