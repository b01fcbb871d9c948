using System.Collections.Concurrent;
using ARSoft.Tools.Net.Dns;

namespace Navarch.Dns.Caching;

/// <summary>
/// Answers by question, kept for their TTL (positive: the smallest record TTL; negative: the SOA's, RFC 2308) up to a
/// cap, handed out with TTLs lowered by their age as CoreDNS's cache does. Cluster answers also carry the cluster
/// state's generation and are dropped once the informers see any change, so an update is never hidden by the cache.
/// SERVFAIL is never cached.
/// </summary>
internal sealed class ResponseCache(int capacity, TimeSpan maxTtl, TimeProvider time)
{
    private readonly ConcurrentDictionary<Key, Entry> _entries = new();

    public int Count => _entries.Count;

    public bool TryGet(DnsQuestion question, long? generation, out DnsAnswer answer)
    {
        answer = null!;
        if (capacity == 0 || !_entries.TryGetValue(KeyOf(question), out Entry? entry))
        {
            return false;
        }

        long age = (long)(time.GetUtcNow() - entry.Stored).TotalSeconds;
        if (age >= entry.Ttl || entry.Generation != generation)
        {
            _entries.TryRemove(new KeyValuePair<Key, Entry>(KeyOf(question), entry));
            return false;
        }

        answer = age == 0 ? entry.Answer : Aged(entry.Answer, entry.Ttl, age);
        return true;
    }

    /// <summary>Caches <paramref name="answer"/> if it may be; returns it as clients get it (TTLs at most the cache cap).</summary>
    public DnsAnswer Put(DnsQuestion question, DnsAnswer answer, long? generation)
    {
        if (capacity == 0 || TtlOf(answer) is not { } ttl || ttl <= 0)
        {
            return answer;
        }

        if (_entries.Count >= capacity)
        {
            Evict();
        }

        int capped = Math.Min(ttl, (int)maxTtl.TotalSeconds);
        answer = Aged(answer, capped, 0);
        _entries[KeyOf(question)] = new Entry(answer, time.GetUtcNow(), capped, generation);
        return answer;
    }

    /// <summary>The cache lifetime of an answer, or null when it must not be cached.</summary>
    internal static int? TtlOf(DnsAnswer answer)
    {
        if (answer.Code is not (ReturnCode.NoError or ReturnCode.NxDomain))
        {
            return null;
        }

        if (answer.IsNegative)
        {
            return answer.Authority.OfType<SoaRecord>().Select(s => (int?)Math.Min(s.TimeToLive, s.NegativeCachingTTL)).FirstOrDefault();
        }

        return answer.Answers.Min(r => r.TimeToLive);
    }

    /// <summary>Drops expired entries; when none had expired, drops about a tenth of the cache (the oldest first).</summary>
    private void Evict()
    {
        DateTimeOffset now = time.GetUtcNow();
        int removed = 0;
        foreach (KeyValuePair<Key, Entry> e in _entries)
        {
            if ((now - e.Value.Stored).TotalSeconds >= e.Value.Ttl && _entries.TryRemove(e))
            {
                removed++;
            }
        }

        if (removed == 0)
        {
            foreach (KeyValuePair<Key, Entry> e in _entries.OrderBy(e => e.Value.Stored).Take(Math.Max(1, capacity / 10)).ToList())
            {
                _entries.TryRemove(e);
            }
        }
    }

    /// <summary>The answer <paramref name="age"/> seconds into an entry that lives <paramref name="ttl"/> seconds: every TTL at most what is left.</summary>
    private static DnsAnswer Aged(DnsAnswer answer, int ttl, long age) => answer with
    {
        Answers = Aged(answer.Answers, ttl, age),
        Authority = Aged(answer.Authority, ttl, age),
        Additional = Aged(answer.Additional, ttl, age),
    };

    private static IReadOnlyList<DnsRecordBase> Aged(IReadOnlyList<DnsRecordBase> records, int ttl, long age) =>
        records.Count == 0 ? records : records.Select(r => RecordTtl.With(r, (int)Math.Max(0, Math.Min(r.TimeToLive, ttl) - age))).ToList();

    private static Key KeyOf(DnsQuestion q) => new(q.Name.ToString(true).ToLowerInvariant(), q.RecordType, q.RecordClass);

    private readonly record struct Key(string Name, RecordType Type, RecordClass Class);

    private sealed record Entry(DnsAnswer Answer, DateTimeOffset Stored, int Ttl, long? Generation);
}
