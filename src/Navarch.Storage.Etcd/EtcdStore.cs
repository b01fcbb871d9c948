using System.Collections.Concurrent;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Navarch.Storage.Etcd;

/// <summary>
/// The store on a real etcd cluster: etcd's revisions are the store's (plus the revision offset a restore adds, see
/// <see cref="BumpRevisionAsync"/>), compare-and-swap is an etcd transaction on mod_revision, watches are etcd watches
/// with a start revision and prev_kv, TTLs are etcd leases.
/// </summary>
public sealed partial class EtcdStore : IStore, IRevisionBump
{
    /// <summary>Where the compacted revision is recorded, as kube-apiserver does; outside the '/' key space.</summary>
    internal const string CompactRevisionKey = "compact_rev_key";

    /// <summary>Where the revision offset is recorded (see <see cref="BumpRevisionAsync"/>); outside the '/' key space.</summary>
    internal const string RevisionOffsetKey = "navarch_revision_offset";

    private readonly EtcdStoreOptions _options;
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Watch.WatchClient _watch;
    private readonly Lease.LeaseClient _lease;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, (long Id, DateTimeOffset Granted)> _leases = new();
    private readonly CancellationTokenSource _closing = new();
    private long _compacted;
    private long _offset;
    private int _disposed;

    private EtcdStore(EtcdStoreOptions options, GrpcChannel channel)
    {
        _options = options;
        _channel = channel;
        _kv = new KV.KVClient(channel);
        _watch = new Watch.WatchClient(channel);
        _lease = new Lease.LeaseClient(channel);
        _logger = options.LoggerFactory?.CreateLogger<EtcdStore>() ?? NullLogger<EtcdStore>.Instance;
    }

    /// <inheritdoc />
    public string Backend => "etcd";

    /// <summary>Connects to etcd and reads the compacted revision recorded there.</summary>
    public static async Task<EtcdStore> OpenAsync(EtcdStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string endpoint = options.Endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
            ?? throw new ArgumentException("no etcd endpoint given", nameof(options));
        var channel = CreateChannel(endpoint, options);
        var store = new EtcdStore(options, channel);
        try
        {
            RangeResponse recorded = await store.CallAsync(CompactRevisionKey, (kv, o) => kv.RangeAsync(new RangeRequest { Key = Bytes(CompactRevisionKey) }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (recorded.Kvs.Count == 1)
            {
                store._compacted = long.Parse(recorded.Kvs[0].Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture);
            }

            RangeResponse offset = await store.CallAsync(RevisionOffsetKey, (kv, o) => kv.RangeAsync(new RangeRequest { Key = Bytes(RevisionOffsetKey) }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (offset.Kvs.Count == 1)
            {
                store._offset = long.Parse(offset.Kvs[0].Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture);
            }

            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A gRPC channel to <paramref name="endpoint"/> with the options' client certificate and trusted CAs (an etcd
    /// started with <c>--client-cert-auth</c>); also what tools use for etcd's Cluster and Maintenance APIs.
    /// </summary>
    public static GrpcChannel CreateChannel(string endpoint, EtcdStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(5) };
        if (options.ClientCertificate is { } certificate)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        if (options.TrustedCa is { } trusted)
        {
            handler.SslOptions.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }

        return GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = handler,
            DisposeHttpClient = true,
        });
    }

    /// <inheritdoc />
    public async Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        RangeResponse r = await CallAsync("/", (kv, o) => kv.RangeAsync(new RangeRequest { Key = Bytes(CompactRevisionKey), CountOnly = true }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        return r.Header.Revision + _offset;
    }

    /// <summary>
    /// What etcd 3.5's <c>etcdutl snapshot restore --bump-revision --mark-compacted</c> does after a restore (k3s runs it so
    /// that revisions never repeat), on etcd 3.4, which has neither: etcd's revision grows by one per transaction, so it
    /// cannot jump; instead the store keeps an offset in etcd, added to every revision it reports and taken off every
    /// revision it is given. This raises the offset by <paramref name="amount"/> (more than the writes a lost timeline can
    /// have made after the snapshot) and records every revision up to now as compacted, in one transaction: every
    /// resourceVersion served afterwards is above any served before the restore, and a client resuming from an older one
    /// (a watch, a list at a revision, a continue token) gets 410 Gone and lists again instead of silently missing
    /// changes. Run before the store serves, on every server's store the offset is read at open. Returns the new offset.
    /// </summary>
    public async Task<long> BumpRevisionAsync(long amount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        RangeResponse now = await CallAsync(RevisionOffsetKey, (kv, o) => kv.RangeAsync(new RangeRequest { Key = Bytes(RevisionOffsetKey) }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        long offset = (now.Kvs.Count == 1 ? long.Parse(now.Kvs[0].Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture) : 0) + amount;
        // The transaction is the next revision: everything below it is from before the restore.
        long floor = now.Header.Revision + 1 + offset;
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(RevisionOffsetKey), Value = Bytes(offset.ToString(System.Globalization.CultureInfo.InvariantCulture)) } });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(CompactRevisionKey), Value = Bytes(floor.ToString(System.Globalization.CultureInfo.InvariantCulture)) } });
        await CallAsync("/", (kv, o) => kv.TxnAsync(txn, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _offset, offset);
        InterlockedMax(ref _compacted, floor);
        return offset;
    }

    /// <summary>etcd's revision for a store revision (0, "the latest", stays 0).</summary>
    /// <remarks>A revision from before a bump (at or below the offset) becomes -1: a compare on it matches nothing.</remarks>
    private long ToEtcd(long revision) => revision <= 0 ? revision : revision > _offset ? revision - _offset : -1;

    /// <summary>A read at an explicit revision below the compacted one is refused here: after a bump etcd itself still has it.</summary>
    private void ThrowIfCompacted(string key, long revision)
    {
        long compacted = Volatile.Read(ref _compacted);
        if (revision > 0 && revision < compacted)
        {
            throw StorageException.CompactedAt(key, revision, compacted);
        }
    }

    /// <inheritdoc />
    public Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        return Task.FromResult(Volatile.Read(ref _compacted));
    }

    /// <inheritdoc />
    public async Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateKey(key);
        ThrowIfCompacted(key, revision);
        RangeResponse r = await CallAsync(key, (kv, o) => kv.RangeAsync(new RangeRequest { Key = Bytes(key), Revision = ToEtcd(revision) }, o), revision, cancellationToken: cancellationToken).ConfigureAwait(false);
        return r.Kvs.Count == 0 ? null : ToKeyValue(r.Kvs[0]);
    }

    /// <inheritdoc />
    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidatePrefix(prefix);
        ArgumentNullException.ThrowIfNull(options);
        ContinueToken? token = options.Continue is null ? null : ContinueToken.Decode(prefix, options.Continue);
        long revision = token?.Revision ?? options.Revision;
        ThrowIfCompacted(prefix, revision);
        var request = new RangeRequest
        {
            Key = token is { } t ? Bytes(t.StartAfter + "\0") : Bytes(prefix),
            RangeEnd = Bytes(PrefixEnd(prefix)),
            Revision = ToEtcd(revision),
            Limit = options.Limit,
        };
        RangeResponse r = await CallAsync(prefix, (kv, o) => kv.RangeAsync(request, o), revision, cancellationToken: cancellationToken).ConfigureAwait(false);
        var items = r.Kvs.Select(ToKeyValue).ToList();
        long at = revision > 0 ? revision : r.Header.Revision + _offset;
        if (!r.More || items.Count == 0)
        {
            return new ListResult(items, at, null, null);
        }

        return new ListResult(items, at, new ContinueToken(at, items[^1].Key).Encode(), r.Count - items.Count);
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidatePrefix(prefix);
        RangeResponse r = await CallAsync(prefix, (kv, o) => kv.RangeAsync(new RangeRequest { Key = Bytes(prefix), RangeEnd = Bytes(PrefixEnd(prefix)), CountOnly = true }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        return r.Count;
    }

    /// <inheritdoc />
    public async Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateWrite(key, value);
        long lease = await LeaseForAsync(key, options, cancellationToken).ConfigureAwait(false);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = Bytes(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = ByteString.CopyFrom(value), Lease = lease } });
        TxnResponse r = await CallAsync(key, (kv, o) => kv.TxnAsync(txn, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            throw StorageException.Exists(key);
        }

        long rev = r.Header.Revision + _offset;
        return new KeyValue(key, value, rev, rev, 1, lease);
    }

    /// <inheritdoc />
    public async Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateWrite(key, value);
        long lease = await LeaseForAsync(key, options, cancellationToken).ConfigureAwait(false);
        TxnRequest txn = Conditional(key, ToEtcd(expectedModRevision));
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = ByteString.CopyFrom(value), Lease = lease, PrevKv = true } });
        TxnResponse r = await CallAsync(key, (kv, o) => kv.TxnAsync(txn, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        ThrowUnlessSucceeded(key, r);
        Mvccpb.KeyValue previous = r.Responses[0].ResponsePut.PrevKv;
        return new KeyValue(key, value, previous.CreateRevision + _offset, r.Header.Revision + _offset, previous.Version + 1, lease);
    }

    /// <inheritdoc />
    public async Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateKey(key);
        TxnRequest txn = Conditional(key, ToEtcd(expectedModRevision));
        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key), PrevKv = true } });
        TxnResponse r = await CallAsync(key, (kv, o) => kv.TxnAsync(txn, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        ThrowUnlessSucceeded(key, r);
        return new DeleteResult(ToKeyValue(r.Responses[0].ResponseDeleteRange.PrevKvs[0]), r.Header.Revision + _offset);
    }

    /// <inheritdoc />
    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        if (revision <= Volatile.Read(ref _compacted))
        {
            return;
        }

        // Record first, so a restarted server knows the floor even if it crashes right after compacting.
        await CallAsync("/", (kv, o) => kv.PutAsync(new PutRequest { Key = Bytes(CompactRevisionKey), Value = Bytes(revision.ToString(System.Globalization.CultureInfo.InvariantCulture)) }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await CallAsync("/", (kv, o) => kv.CompactAsync(new CompactionRequest { Revision = ToEtcd(revision) }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Compacted)
        {
            // Someone compacted further already; nothing left to do.
        }

        InterlockedMax(ref _compacted, revision);
        LogCompacted(_logger, revision);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        _channel.Dispose();
        _closing.Dispose();
    }

    // expectedModRevision is in etcd's revisions, 0 for "any"; one from before a bump is -1 here and matches nothing.
    private static TxnRequest Conditional(string key, long expectedModRevision)
    {
        var txn = new TxnRequest();
        txn.Compare.Add(expectedModRevision != 0
            ? new Compare { Key = Bytes(key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expectedModRevision }
            : new Compare { Key = Bytes(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0 });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = Bytes(key) } });
        return txn;
    }

    private void ThrowUnlessSucceeded(string key, TxnResponse r)
    {
        if (r.Succeeded)
        {
            return;
        }

        var current = r.Responses[0].ResponseRange.Kvs;
        throw current.Count == 0 ? StorageException.NotFound(key) : StorageException.Conflicted(key, ToKeyValue(current[0]));
    }

    /// <summary>
    /// A lease for a TTL write. Like kube-apiserver's lease manager, writes with the same TTL within a short window
    /// share one lease granted a little longer, so a burst of Events does not grant a lease each.
    /// </summary>
    private async Task<long> LeaseForAsync(string key, WriteOptions? options, CancellationToken cancellationToken)
    {
        if (options?.Ttl is not { } ttl)
        {
            return 0;
        }

        if (ttl <= TimeSpan.Zero)
        {
            throw new StorageException(StorageErrorCode.InvalidKey, key, $"ttl must be positive, got {ttl}");
        }

        long seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        TimeSpan reuse = TimeSpan.FromSeconds(Math.Min(60, seconds / 20));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (reuse > TimeSpan.Zero && _leases.TryGetValue(seconds, out var cached) && now - cached.Granted < reuse)
        {
            return cached.Id;
        }

        LeaseGrantResponse granted = await CallAsync(key, (_, o) => _lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = seconds + (long)reuse.TotalSeconds }, o), cancellationToken: cancellationToken).ConfigureAwait(false);
        _leases[seconds] = (granted.ID, now);
        return granted.ID;
    }

    /// <summary>Runs one unary call with the store's deadline and maps etcd's errors to storage errors.</summary>
    private async Task<T> CallAsync<T>(string key, Func<KV.KVClient, CallOptions, AsyncUnaryCall<T>> call, long revision = 0, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed(key);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var options = new CallOptions(deadline: DateTime.UtcNow + _options.RequestTimeout, cancellationToken: linked.Token);
        try
        {
            return await call(_kv, options).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw Map(key, e, revision);
        }
    }

    private StorageException Map(string key, RpcException e, long revision)
    {
        string detail = e.Status.Detail ?? "";
        if (detail.Contains("compacted", StringComparison.Ordinal))
        {
            return StorageException.CompactedAt(key, revision, Volatile.Read(ref _compacted));
        }

        if (detail.Contains("future revision", StringComparison.Ordinal))
        {
            return new StorageException(StorageErrorCode.FutureRevision, key, $"required revision {revision} is a future revision", null, e);
        }

        if (detail.Contains("request is too large", StringComparison.Ordinal) || e.StatusCode == StatusCode.ResourceExhausted)
        {
            return new StorageException(StorageErrorCode.ValueTooLarge, key, $"etcd rejected the request as too large: {detail}", null, e);
        }

        return new StorageException(StorageErrorCode.Unavailable, key, $"etcd: {e.StatusCode}: {detail}", null, e);
    }

    private void ThrowIfDisposed(string key)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new StorageException(StorageErrorCode.Unavailable, key, "the store is closed");
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    internal KeyValue ToKeyValue(Mvccpb.KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), kv.Value.ToByteArray(), kv.CreateRevision + _offset, kv.ModRevision + _offset, kv.Version, kv.Lease);

    internal static ByteString Bytes(string s) => ByteString.CopyFrom(Encoding.UTF8.GetBytes(s));

    internal static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}
