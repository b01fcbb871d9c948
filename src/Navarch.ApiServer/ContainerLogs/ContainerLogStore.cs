using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Navarch.Api.Logging;

namespace Navarch.ApiServer.ContainerLogs;

/// <summary>
/// The central log store (<c>DATA/server/containerlogs</c>, 0700, segments 0600): the lines every node's agent ships,
/// appended as JSON lines to numbered segment files and dropped a segment at a time, oldest first, past the size or age
/// bound. Each line carries its node, file and offset; the highest offset stored per file is kept (and found again at
/// start), so a batch shipped twice is stored once. Readers scan the segments in order and, following, wait for the
/// next append.
/// </summary>
internal sealed partial class ContainerLogStore : IAsyncDisposable
{
    private const string Suffix = ".jsonl";
    private static readonly JsonSerializerOptions Json = new();

    private readonly string _directory;
    private readonly ContainerLogStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<string, (long Offset, long Segment)> _highWater = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FileStream? _active;
    private Task _retention = Task.CompletedTask;

    private ContainerLogStore(string directory, ContainerLogStoreOptions options, TimeProvider time, ILogger logger)
    {
        _directory = directory;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The bytes on disk now.</summary>
    public long Bytes
    {
        get
        {
            lock (_segments)
            {
                return _segments.Sum(s => s.Bytes);
            }
        }
    }

    /// <summary>Opens (or makes) the store in <paramref name="directory"/>, reading back the offsets already stored.</summary>
    public static async Task<ContainerLogStore> OpenAsync(string directory, ContainerLogStoreOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        PrivateFiles.CreateDirectory(directory);
        var store = new ContainerLogStore(directory, options, time, logger);
        foreach (string path in Directory.EnumerateFiles(directory, "*" + Suffix))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            {
                var info = new FileInfo(path);
                store._segments.Add(new Segment(seq, path) { Bytes = info.Length, Newest = new DateTimeOffset(info.LastWriteTimeUtc) });
            }
        }

        store._segments.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        foreach (Segment segment in store._segments)
        {
            using LogSegmentReader? reader = LogSegmentReader.Open(segment.Path, 0);
            while (reader is not null && await reader.ReadSomeAsync(line =>
            {
                if (Parse(line.Span) is { } record)
                {
                    store._highWater[Key(record.Node, record.File)] = (record.Offset, segment.Seq);
                }
            }, cancellationToken).ConfigureAwait(false))
            {
            }

            if (reader is not null && reader.Position < segment.Bytes)
            {
                // A write cut short by a crash: the partial line goes, so the next one starts on a line of its own.
                File.SetUnixFileMode(segment.Path, PrivateFiles.OwnerOnly);
                using var file = new FileStream(segment.Path, FileMode.Open, FileAccess.Write);
                file.SetLength(reader.Position);
                segment.Bytes = reader.Position;
            }
        }

        await store._writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            store.EnforceRetentionLocked();
        }
        finally
        {
            store._writer.Release();
        }

        store._retention = store.RunRetentionAsync(store._stop.Token);
        return store;
    }

    /// <summary>
    /// Stores the lines of <paramref name="batch"/> shipped by <paramref name="node"/> that are past what is stored of
    /// their file; returns how many were stored and how many were already there.
    /// </summary>
    public async Task<(int Stored, int Duplicates)> AppendAsync(string node, V1ContainerLogBatch batch, CancellationToken cancellationToken)
    {
        int stored = 0, duplicates = 0;
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _pending.Clear();
            var updates = new Dictionary<string, long>(StringComparer.Ordinal);
            using (var writer = new Utf8JsonWriter(_pending))
            {
                foreach (V1ContainerLogFile file in batch.Files)
                {
                    string key = Key(node, file.Path);
                    long high = updates.TryGetValue(key, out long pending) ? pending : _highWater.TryGetValue(key, out var known) ? known.Offset : 0;
                    Dictionary<string, string>? labels = file.Labels is { Count: > 0 } l ? new(l, StringComparer.Ordinal) : null;
                    foreach (V1ContainerLogLine line in file.Lines)
                    {
                        if (line.Offset <= high)
                        {
                            duplicates++;
                            continue;
                        }

                        // Validated before: a time that did not parse never reaches the store.
                        long nanos = LogTime.TryParse(line.Time, out long parsed) ? parsed : 0;
                        JsonSerializer.Serialize(writer, new ContainerLogRecord
                        {
                            Time = nanos,
                            Namespace = file.Namespace,
                            Pod = file.Pod,
                            PodUid = file.PodUid,
                            Container = file.Container,
                            Node = node,
                            Stream = line.Stream,
                            Message = line.Message,
                            Labels = labels,
                            File = file.Path,
                            Offset = line.Offset,
                        }, Json);
                        writer.Flush();
                        _pending.Write("\n"u8);
                        writer.Reset();
                        high = line.Offset;
                        stored++;
                    }

                    updates[key] = high;
                }
            }

            if (stored == 0)
            {
                return (0, duplicates);
            }

            Segment segment = ActiveSegmentLocked();
            await _active!.WriteAsync(_pending.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await _active.FlushAsync(cancellationToken).ConfigureAwait(false);
            lock (_segments)
            {
                segment.Bytes += _pending.WrittenCount;
                segment.Newest = _time.GetUtcNow();
            }

            foreach ((string key, long offset) in updates)
            {
                _highWater[key] = (offset, segment.Seq);
            }

            if (segment.Bytes >= _options.SegmentBytes)
            {
                await CloseActiveAsync().ConfigureAwait(false);
            }

            EnforceRetentionLocked();
        }
        finally
        {
            _writer.Release();
        }

        Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return (stored, duplicates);
    }

    /// <summary>Drops what is past the age bound now (the server calls this every minute; appends check the size).</summary>
    public async Task EnforceRetentionAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnforceRetentionLocked();
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// The stored lines <paramref name="query"/> matches, oldest first; <paramref name="follow"/> goes on with the lines
    /// appended after, until cancelled.
    /// </summary>
    public async IAsyncEnumerable<ContainerLogRecord> ReadAsync(ContainerLogQuery query, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Queue<ContainerLogRecord>? tail = query.TailLines is { } n ? new Queue<ContainerLogRecord>() : null;
        var found = new List<ContainerLogRecord>();
        long seq = -1;
        LogSegmentReader? reader = null;
        bool caughtUp = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Task appended = _appended.Task;
                if (reader is null || !await reader.ReadSomeAsync(Collect, cancellationToken).ConfigureAwait(false))
                {
                    // This segment is read to its end: on to the next one, or (at the last) wait for an append.
                    Segment? next = NextSegment(seq);
                    if (next is not null)
                    {
                        reader?.Dispose();
                        seq = next.Seq;
                        reader = LogSegmentReader.Open(next.Path, 0);
                        continue;
                    }

                    if (!caughtUp)
                    {
                        caughtUp = true;
                        if (tail is not null)
                        {
                            while (tail.TryDequeue(out ContainerLogRecord? record))
                            {
                                yield return record;
                            }
                        }
                    }

                    if (!follow)
                    {
                        yield break;
                    }

                    try
                    {
                        await appended.WaitAsync(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // A bounded wait: retention may have moved the segments on without an append.
                    }
                    catch (OperationCanceledException)
                    {
                        yield break;
                    }

                    continue;
                }

                foreach (ContainerLogRecord record in found)
                {
                    yield return record;
                }

                found.Clear();
            }
        }
        finally
        {
            reader?.Dispose();
        }

        void Collect(ReadOnlyMemory<byte> line)
        {
            if (Parse(line.Span) is not { } record || !query.Matches(record))
            {
                return;
            }

            if (tail is null || caughtUp)
            {
                found.Add(record);
                return;
            }

            tail.Enqueue(record);
            if (tail.Count > query.TailLines)
            {
                tail.Dequeue();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _retention.ConfigureAwait(false);
        _stop.Dispose();
        await _writer.WaitAsync().ConfigureAwait(false);
        try
        {
            await CloseActiveAsync().ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>The age bound is checked every minute, so a store no one ships to still lets its old lines go.</summary>
    private async Task RunRetentionAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await EnforceRetentionAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    LogRetentionFailed(_logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private Segment? NextSegment(long after)
    {
        lock (_segments)
        {
            return _segments.FirstOrDefault(s => s.Seq > after);
        }
    }

    private Segment ActiveSegmentLocked()
    {
        lock (_segments)
        {
            if (_active is not null)
            {
                return _segments[^1];
            }

            long seq = _segments.Count == 0 ? 1 : _segments[^1].Seq + 1;
            string path = Path.Combine(_directory, seq.ToString("D12", CultureInfo.InvariantCulture) + Suffix);
            _active = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete, UnixCreateMode = PrivateFiles.OwnerOnly });
            var segment = new Segment(seq, path) { Newest = _time.GetUtcNow() };
            _segments.Add(segment);
            return segment;
        }
    }

    private async Task CloseActiveAsync()
    {
        if (_active is not null)
        {
            await _active.DisposeAsync().ConfigureAwait(false);
            _active = null;
        }
    }

    private void EnforceRetentionLocked()
    {
        DateTimeOffset oldest = _time.GetUtcNow() - _options.MaxAge;
        while (true)
        {
            Segment? victim;
            lock (_segments)
            {
                long total = _segments.Sum(s => s.Bytes);
                victim = _segments.Count > 0 && (total > _options.MaxBytes || _segments[0].Newest < oldest) ? _segments[0] : null;
                if (victim is null)
                {
                    return;
                }

                _segments.RemoveAt(0);
            }

            if (_segments.Count == 0 && _active is not null)
            {
                // The segment being written is the one past the bound: the next append begins a new one.
                _active.Dispose();
                _active = null;
            }

            File.Delete(victim.Path);
            foreach (string key in _highWater.Where(h => h.Value.Segment <= victim.Seq).Select(h => h.Key).ToList())
            {
                _highWater.Remove(key);
            }

            LogDropped(_logger, victim.Path, victim.Bytes);
        }
    }

    private static ContainerLogRecord? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize<ContainerLogRecord>(line, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log store: retention failed: {Error}")]
    private static partial void LogRetentionFailed(ILogger logger, string error);

    private static string Key(string node, string file) => node + "\n" + file;

    [LoggerMessage(Level = LogLevel.Information, Message = "Log store: dropped segment {Path} ({Bytes} bytes) past the retention bounds")]
    private static partial void LogDropped(ILogger logger, string path, long bytes);

    private sealed class Segment(long seq, string path)
    {
        public long Seq { get; } = seq;

        public string Path { get; } = path;

        public long Bytes { get; set; }

        public DateTimeOffset Newest { get; set; }
    }
}
