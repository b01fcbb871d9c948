using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Navarch.Dns.Caching;
using Navarch.Dns.Forwarding;
using Navarch.Dns.Zone;

namespace Navarch.Dns;

/// <summary>
/// One question to its answer: from the cache, else from the cluster zone (following an ExternalName's CNAME for
/// address questions, as CoreDNS does) or from the upstreams for names outside the cluster domain. ANY questions for
/// names outside the cluster are answered minimally, never forwarded (RFC 8482); zone transfers are refused.
/// </summary>
internal sealed class DnsResolver(ClusterState state, ClusterZone zone, Forwarder forwarder, ResponseCache cache)
{
    private const int MaxCnameChain = 8;

    /// <summary>
    /// The most a UDP answer carries whatever EDNS size the client offers (DNS Flag Day 2020, CoreDNS's <c>bufsize</c>
    /// default): bigger answers are truncated, so the client asks again over TCP.
    /// </summary>
    internal const ushort MaxUdpPayload = 1232;

    /// <summary>The TTL of the RFC 8482 answer to ANY (CoreDNS's <c>any</c> plugin uses the RFC's number).</summary>
    private const int Rfc8482Ttl = 8482;

    public async Task<DnsAnswer> ResolveAsync(DnsQuestion question, CancellationToken cancellationToken, int depth = 0)
    {
        bool inZone = question.Name.IsEqualOrSubDomainOf(zone.Domain);
        IPAddress? reverse = inZone ? null : ClusterZone.ParseReverse(question.Name);
        // Read before answering: a change while answering leaves an entry that is already stale.
        long? generation = inZone || reverse is not null ? state.Generation : null;
        if (cache.TryGet(question, generation, out DnsAnswer cached))
        {
            return cached;
        }

        DnsAnswer answer;
        if (inZone)
        {
            if (!state.ServiceInformer.HasSynced || !state.SliceInformer.HasSynced)
            {
                return DnsAnswer.ServerFailure;
            }

            answer = zone.Answer(question);
            if (answer.Answers is [CNameRecord cname] && question.RecordType is not (RecordType.CName or RecordType.Any) && depth < MaxCnameChain)
            {
                DnsAnswer target = await ResolveAsync(new DnsQuestion(cname.CanonicalName, question.RecordType, question.RecordClass), cancellationToken, depth + 1).ConfigureAwait(false);
                answer = answer with
                {
                    // RFC 6604: the code is the last name's; a failing target still leaves the CNAME to answer with.
                    Code = target.Code == ReturnCode.ServerFailure ? ReturnCode.NoError : target.Code,
                    Answers = [cname, .. target.Answers],
                    Authority = target.Answers.Count == 0 ? target.Authority : [],
                    Additional = target.Additional,
                };
            }
        }
        else if (reverse is not null && state.ServiceInformer.HasSynced && zone.Reverse(question, reverse) is { } cluster)
        {
            answer = cluster;
        }
        else if (question.RecordType == RecordType.Any)
        {
            // RFC 8482 4.2: one synthesized HINFO instead of whatever the upstream holds (a classic amplifier).
            return new DnsAnswer(ReturnCode.NoError, [new HInfoRecord(question.Name, Rfc8482Ttl, "RFC8482", "")], [], [], Authoritative: false);
        }
        else
        {
            answer = await forwarder.ForwardAsync(question, cancellationToken).ConfigureAwait(false) ?? DnsAnswer.ServerFailure;
        }

        return cache.Put(question, answer, generation);
    }

    /// <summary>Answers a whole query message (one question, standard query) as the server sends it back.</summary>
    public async Task<DnsMessage> AnswerAsync(DnsMessage query, CancellationToken cancellationToken)
    {
        DnsMessage response = query.CreateResponseInstance();
        response.IsRecursionAllowed = true;
        if (response.EDnsOptions is { } edns)
        {
            // The server truncates UDP answers to the response's OPT size, copied from the client's offer: cap it.
            edns.UdpPayloadSize = Math.Min(edns.UdpPayloadSize, MaxUdpPayload);
        }

        if (query.OperationCode != OperationCode.Query)
        {
            response.ReturnCode = ReturnCode.NotImplemented;
            return response;
        }

        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return response;
        }

        if (query.Questions[0].RecordType is RecordType.Axfr or RecordType.Ixfr)
        {
            // No zone transfers (CoreDNS without its transfer plugin), and never forwarded.
            response.ReturnCode = ReturnCode.Refused;
            return response;
        }

        DnsAnswer answer = await ResolveAsync(query.Questions[0], cancellationToken).ConfigureAwait(false);
        response.ReturnCode = answer.Code;
        response.IsAuthoritiveAnswer = answer.Authoritative;
        response.AnswerRecords.AddRange(answer.Answers);
        response.AuthorityRecords.AddRange(answer.Authority);
        response.AdditionalRecords.AddRange(answer.Additional);
        return response;
    }

    /// <summary>REFUSED, without recursion offered (RFC 1035: the server will not answer this client).</summary>
    public static DnsMessage Refused(DnsMessage query)
    {
        DnsMessage response = query.CreateResponseInstance();
        response.ReturnCode = ReturnCode.Refused;
        response.IsRecursionAllowed = false;
        return response;
    }

    internal static DomainName Domain(string domain) => DomainName.Parse(domain.TrimEnd('.'));
}
