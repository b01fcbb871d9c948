using ARSoft.Tools.Net.Dns;

namespace Navarch.Dns.Caching;

/// <summary>Copies a record with another TTL (ARSoft's records are immutable); rare types keep their TTL.</summary>
internal static class RecordTtl
{
    public static DnsRecordBase With(DnsRecordBase record, int ttl) => record switch
    {
        _ when record.TimeToLive == ttl => record,
        ARecord a => new ARecord(a.Name, ttl, a.Address),
        AaaaRecord a => new AaaaRecord(a.Name, ttl, a.Address),
        CNameRecord c => new CNameRecord(c.Name, ttl, c.CanonicalName),
        SrvRecord s => new SrvRecord(s.Name, ttl, s.Priority, s.Weight, s.Port, s.Target),
        SoaRecord s => new SoaRecord(s.Name, ttl, s.MasterName, s.ResponsibleName, s.SerialNumber, s.RefreshInterval, s.RetryInterval, s.ExpireInterval, s.NegativeCachingTTL),
        NsRecord n => new NsRecord(n.Name, ttl, n.NameServer),
        PtrRecord p => new PtrRecord(p.Name, ttl, p.PointerDomainName),
        MxRecord m => new MxRecord(m.Name, ttl, m.Preference, m.ExchangeDomainName),
        TxtRecord t => new TxtRecord(t.Name, ttl, t.TextParts),
        _ => record,
    };
}
