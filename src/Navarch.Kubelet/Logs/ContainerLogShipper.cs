using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Server;

namespace Navarch.Kubelet.Logs;

/// <summary>
/// Ships this node's container logs to the central log store: every second it reads what is new in each CRI log file
/// under the pod log folder (<c>NS_POD_UID/CONTAINER/N.log</c>), joins partial lines as <c>kubectl logs</c> does, and
/// sends one bounded batch (a ContainerLogBatch) through the API server; only once the server has answered are the
/// files' offsets moved on and saved (<see cref="ShippedOffsets"/>). So nothing is held in memory or on disk beyond
/// one batch, a slow or absent server delays shipping but never a container (they write to their files regardless),
/// and a restarted agent neither repeats nor skips lines (the server also drops lines it has by offset, for the
/// moment between its answer and the save). Files of deleted pods are shipped to their end like any other.
/// </summary>
internal sealed partial class ContainerLogShipper
{
    private const int MaxMessageChars = 64 * 1024;
    private readonly string _podLogsDir;
    private readonly string _nodeName;
    private readonly Func<string, IDictionary<string, string>?> _labelsOf;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task> _send;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ShippedOffsets _offsets;
    private readonly ArrayBufferWriter<byte> _batch = new(256 * 1024);

    /// <summary>Creates a shipper; <paramref name="send"/> posts one batch's JSON and throws unless the server stored it.</summary>
    public ContainerLogShipper(
        string podLogsDir,
        string stateDir,
        string nodeName,
        Func<string, IDictionary<string, string>?> labelsOf,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task> send,
        TimeProvider time,
        ILogger logger)
    {
        _podLogsDir = podLogsDir;
        _nodeName = nodeName;
        _labelsOf = labelsOf;
        _send = send;
        _time = time;
        _logger = logger;
        _offsets = ShippedOffsets.Load(stateDir);
    }

    /// <summary>How long to wait after a round that found less than a full batch.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most message bytes in one batch (the API server takes bodies up to 3 MiB).</summary>
    public int MaxBatchBytes { get; init; } = 512 * 1024;

    /// <summary>The lines shipped since start.</summary>
    public long ShippedLines { get; private set; }

    /// <summary>Ships until cancelled; a failed send is tried again after a back-off (1 s doubling to 30 s).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = Interval;
        bool failing = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                (_, bool more) = await ShipOnceAsync(cancellationToken).ConfigureAwait(false);
                if (failing)
                {
                    LogResumed(_logger);
                    failing = false;
                }

                backoff = Interval;
                wait = more ? TimeSpan.Zero : Interval;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // No exception ends the loop: the server may be down, restarting or refusing; the files wait on disk.
                if (!failing)
                {
                    LogFailed(_logger, e.Message);
                    failing = true;
                }

                wait = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }

            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// One round: reads up to one batch of new lines, sends it, and records the new offsets once it is stored.
    /// Returns the lines shipped and whether more were waiting than fit.
    /// </summary>
    public async Task<(int Lines, bool More)> ShipOnceAsync(CancellationToken cancellationToken)
    {
        _batch.Clear();
        var commits = new List<(ShippedOffsets.ShippedFile File, long Offset)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int budget = MaxBatchBytes, lines = 0;
        bool more = false;
        using (var writer = new Utf8JsonWriter(_batch))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion", "logging.navarch.io/v1");
            writer.WriteString("kind", "ContainerLogBatch");
            writer.WriteString("node", _nodeName);
            writer.WriteStartArray("files");
            foreach ((string key, string path, string[] pod, string container) in LogFiles())
            {
                seen.Add(key);
                if (!_offsets.Files.TryGetValue(key, out ShippedOffsets.ShippedFile? state))
                {
                    _offsets.Files[key] = state = new ShippedOffsets.ShippedFile();
                }

                long length = new FileInfo(path).Length;
                if (length < state.Offset)
                {
                    // Not this file any more (replaced or truncated): it is read again from its start.
                    state.Offset = 0;
                }

                if (length == state.Offset)
                {
                    continue;
                }

                if (budget <= 0)
                {
                    more = true;
                    continue;
                }

                if (_labelsOf(pod[2]) is { } labels)
                {
                    state.Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal);
                }

                int want = (int)Math.Min(length - state.Offset, Math.Max(budget, 64 * 1024));
                (int count, long committed) = await ReadFileAsync(writer, path, key, pod, container, state, want, cancellationToken).ConfigureAwait(false);
                lines += count;
                budget -= (int)(committed - state.Offset);
                // More waits when this read stopped short of the end (not when the end is a line still being written).
                more |= state.Offset + want < length;
                if (committed != state.Offset)
                {
                    commits.Add((state, committed));
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        if (lines > 0)
        {
            await _send(_batch.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        foreach ((ShippedOffsets.ShippedFile file, long offset) in commits)
        {
            file.Offset = offset;
        }

        foreach (string gone in _offsets.Files.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _offsets.Files.Remove(gone);
        }

        if (commits.Count > 0 || seen.Count != _offsets.Files.Count)
        {
            _offsets.Save();
        }

        ShippedLines += lines;
        return (lines, more);
    }

    /// <summary>Every CRI log file under the pod log folder, with its key, pod (namespace, name, UID) and container.</summary>
    private IEnumerable<(string Key, string Path, string[] Pod, string Container)> LogFiles()
    {
        if (!Directory.Exists(_podLogsDir))
        {
            yield break;
        }

        foreach (string podDir in Directory.EnumerateDirectories(_podLogsDir))
        {
            string podName = Path.GetFileName(podDir);
            string[] pod = podName.Split('_');
            if (pod.Length != 3)
            {
                continue;
            }

            foreach (string containerDir in Directory.EnumerateDirectories(podDir))
            {
                string container = Path.GetFileName(containerDir);
                foreach (string file in Directory.EnumerateFiles(containerDir, "*.log"))
                {
                    yield return ($"{podName}/{container}/{Path.GetFileName(file)}", file, pod, container);
                }
            }
        }
    }

    /// <summary>
    /// Writes the file's logical lines from its offset (at most <paramref name="want"/> bytes' worth) as one entry of the
    /// batch; returns how many and the offset just past the last line written (or skipped as malformed).
    /// </summary>
    private static async Task<(int Lines, long Committed)> ReadFileAsync(
        Utf8JsonWriter writer, string path, string key, string[] pod, string container, ShippedOffsets.ShippedFile state, int want, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(want);
        try
        {
            int filled = 0;
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan))
            {
                file.Position = state.Offset;
                while (filled < want && await file.ReadAsync(buffer.AsMemory(filled, want - filled), cancellationToken).ConfigureAwait(false) is var read and > 0)
                {
                    filled += read;
                }
            }

            var parser = new CriLogParser();
            long committed = state.Offset;
            int lines = 0, start = 0;
            long lastEnd = 0;
            bool opened = false;
            while (buffer.AsSpan(start, filled - start).IndexOf((byte)'\n') is var newline and >= 0)
            {
                long end = state.Offset + start + newline + 1;
                CriLogMessage? message = parser.Add(buffer.AsSpan(start, newline));
                start += newline + 1;
                if (message is not null)
                {
                    Line(message, end);
                }

                if (!parser.HasPending)
                {
                    committed = end;
                }
            }

            if (committed == state.Offset && filled == want && start > 0)
            {
                // A line longer than a whole read: what there is of it goes now, so the file cannot stall.
                foreach (CriLogMessage message in parser.Flush())
                {
                    Line(message, state.Offset + start);
                }

                committed = state.Offset + start;
            }

            if (opened)
            {
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            return (lines, committed);

            void Line(CriLogMessage message, long end)
            {
                if (!opened)
                {
                    opened = true;
                    writer.WriteStartObject();
                    writer.WriteString("path", key);
                    writer.WriteString("namespace", pod[0]);
                    writer.WriteString("pod", pod[1]);
                    writer.WriteString("podUID", pod[2]);
                    writer.WriteString("container", container);
                    if (state.Labels is { Count: > 0 } labels)
                    {
                        writer.WriteStartObject("labels");
                        foreach ((string name, string value) in labels)
                        {
                            writer.WriteString(name, value);
                        }

                        writer.WriteEndObject();
                    }

                    writer.WriteStartArray("lines");
                }

                // A line's offset is where its last fragment ends. Lines flushed together (both streams cut short) would
                // share one; the later gets the next byte — still before any line past the read, which ends 20+ bytes on.
                end = Math.Max(end, lastEnd + 1);
                lastEnd = end;
                string text = Encoding.UTF8.GetString(message.Content.AsSpan(0, message.Content.Length - 1));
                writer.WriteStartObject();
                writer.WriteNumber("offset", end);
                writer.WriteString("time", message.RawTime);
                writer.WriteString("stream", message.Stream);
                writer.WriteString("message", text.Length > MaxMessageChars ? text[..MaxMessageChars] : text);
                writer.WriteEndObject();
                lines++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shipping container logs to the central log store failed (retrying with back-off; the logs wait on disk): {Error}")]
    private static partial void LogFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shipping container logs to the central log store again")]
    private static partial void LogResumed(ILogger logger);
}
