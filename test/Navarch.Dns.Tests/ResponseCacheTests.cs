using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Time.Testing;
using Navarch.Dns.Caching;

namespace Navarch.Dns.Tests;

/// <summary>The answer cache on a fake clock.</summary>
[Trait("Category", "Unit")]
public sealed class ResponseCacheTests
{
    private static readonly DnsQuestion Www = new(DomainName.Parse("www.example.test"), RecordType.A, RecordClass.INet);
    private readonly FakeTimeProvider _time = new();

    private static DnsAnswer Positive(int ttl) => new(ReturnCode.NoError, [new ARecord(Www.Name, ttl, IPAddress.Parse("192.0.2.1"))], [], [], false);

    [Fact]
    public void Answers_live_for_their_ttl_up_to_the_cap_and_age_on_the_way_out()
    {
        var cache = new ResponseCache(100, TimeSpan.FromSeconds(30), _time);

        DnsAnswer stored = cache.Put(Www, Positive(60), generation: null);
        Assert.Equal(30, stored.Answers[0].TimeToLive);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(cache.TryGet(Www, null, out DnsAnswer aged));
        Assert.Equal(20, aged.Answers[0].TimeToLive);

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(cache.TryGet(Www, null, out _));
    }

    [Fact]
    public void A_cluster_answer_is_dropped_when_the_generation_moves()
    {
        var cache = new ResponseCache(100, TimeSpan.FromSeconds(30), _time);
        cache.Put(Www, Positive(5), generation: 7);

        Assert.True(cache.TryGet(Www, 7, out _));
        Assert.False(cache.TryGet(Www, 8, out _));
    }

    [Fact]
    public void Negative_answers_live_for_the_soa_minimum_and_servfail_is_not_kept()
    {
        var cache = new ResponseCache(100, TimeSpan.FromSeconds(30), _time);
        var soa = new SoaRecord(DomainName.Parse("example.test"), 60, DomainName.Parse("ns.example.test"), DomainName.Parse("admin.example.test"), 1, 1, 1, 1, 4);
        cache.Put(Www, new DnsAnswer(ReturnCode.NxDomain, [], [soa], [], false), generation: null);
        var other = new DnsQuestion(DomainName.Parse("other.example.test"), RecordType.A, RecordClass.INet);
        cache.Put(other, DnsAnswer.ServerFailure, generation: null);

        Assert.True(cache.TryGet(Www, null, out DnsAnswer negative));
        Assert.Equal(ReturnCode.NxDomain, negative.Code);
        Assert.False(cache.TryGet(other, null, out _));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(cache.TryGet(Www, null, out _));
    }

    [Fact]
    public void A_full_cache_makes_room()
    {
        var cache = new ResponseCache(10, TimeSpan.FromSeconds(30), _time);
        for (int i = 0; i < 25; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cache.Put(new DnsQuestion(DomainName.Parse($"n{i}.example.test"), RecordType.A, RecordClass.INet), Positive(30), null);
        }

        Assert.InRange(cache.Count, 1, 10);
        Assert.True(cache.TryGet(new DnsQuestion(DomainName.Parse("n24.example.test"), RecordType.A, RecordClass.INet), null, out _));
    }
}
