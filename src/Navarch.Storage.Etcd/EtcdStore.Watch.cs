using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Etcdserverpb;
using Grpc.Core;

namespace Navarch.Storage.Etcd;

public sealed partial class EtcdStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        KeyRules.ValidatePrefix(prefix);
        ThrowIfDisposed(prefix);
        long current = await GetCurrentRevisionAsync(cancellationToken).ConfigureAwait(false);
        long since = sinceRevision ?? current;
        if (since + 1 < Volatile.Read(ref _compacted))
        {
            throw StorageException.CompactedAt(prefix, since + 1, Volatile.Read(ref _compacted));
        }

        // The gRPC stream is pumped into a bounded buffer. History (up to the revision current at the start) waits
        // for the consumer, as the SQLite store reads it on demand; a live event that does not fit ends the watcher.
        var buffer = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(_options.WatchBufferSize) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        Task pump = PumpAsync(prefix, since, current, buffer.Writer, stop.Token);
        try
        {
            await foreach (WatchEvent e in buffer.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task PumpAsync(string prefix, long since, long historyEnd, ChannelWriter<WatchEvent> buffer, CancellationToken cancellationToken)
    {
        try
        {
            using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> stream = _watch.Watch(cancellationToken: cancellationToken);
            await stream.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest
                {
                    Key = Bytes(prefix),
                    RangeEnd = Bytes(PrefixEnd(prefix)),
                    StartRevision = since + 1 - _offset,
                    PrevKv = true,
                },
            }, cancellationToken).ConfigureAwait(false);

            while (await stream.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                WatchResponse response = stream.ResponseStream.Current;
                if (response.CompactRevision > 0)
                {
                    InterlockedMax(ref _compacted, response.CompactRevision + _offset);
                    buffer.TryComplete(StorageException.CompactedAt(prefix, since + 1, response.CompactRevision + _offset));
                    return;
                }

                if (response.Canceled)
                {
                    buffer.TryComplete(new StorageException(StorageErrorCode.Unavailable, prefix, $"etcd cancelled the watch: {response.CancelReason}"));
                    return;
                }

                foreach (Mvccpb.Event e in response.Events)
                {
                    if (e.Kv.ModRevision + _offset <= historyEnd)
                    {
                        await buffer.WriteAsync(ToWatchEvent(e), cancellationToken).ConfigureAwait(false);
                    }
                    else if (!buffer.TryWrite(ToWatchEvent(e)) && !await WriteWithinGraceAsync(buffer, ToWatchEvent(e), _options.SlowWatcherGrace, cancellationToken).ConfigureAwait(false))
                    {
                        buffer.TryComplete(new StorageException(StorageErrorCode.WatcherTooSlow, prefix, $"watcher of {prefix} fell more than {_options.WatchBufferSize} events behind"));
                        return;
                    }
                }
            }

            buffer.TryComplete(new StorageException(StorageErrorCode.Unavailable, prefix, "etcd closed the watch stream"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            buffer.TryComplete();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            buffer.TryComplete();
        }
        catch (RpcException e)
        {
            buffer.TryComplete(Map(prefix, e, since + 1));
        }
    }

    /// <summary>
    /// Gives the consumer of a full buffer <paramref name="grace"/> to make room (see
    /// <see cref="EtcdStoreOptions.SlowWatcherGrace"/>). Only this watcher's stream waits; etcd buffers for it and
    /// writers never block.
    /// </summary>
    private static async Task<bool> WriteWithinGraceAsync(ChannelWriter<WatchEvent> buffer, WatchEvent e, TimeSpan grace, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(grace);
        try
        {
            await buffer.WriteAsync(e, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private WatchEvent ToWatchEvent(Mvccpb.Event e)
    {
        KeyValue? previous = e.PrevKv is null || e.PrevKv.Key.IsEmpty ? null : ToKeyValue(e.PrevKv);
        long revision = e.Kv.ModRevision + _offset;
        return e.Type == Mvccpb.Event.Types.EventType.Delete
            ? new WatchEvent(WatchEventType.Delete, revision, new KeyValue(e.Kv.Key.ToStringUtf8(), [], 0, revision, 0), previous)
            : new WatchEvent(WatchEventType.Put, revision, ToKeyValue(e.Kv), previous);
    }
}
