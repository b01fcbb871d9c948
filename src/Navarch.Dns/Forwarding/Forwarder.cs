using System.Net;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Logging;

namespace Navarch.Dns.Forwarding;

/// <summary>
/// Sends questions for names outside the cluster domain to the upstream resolvers in order (UDP, then TCP when the
/// answer is truncated), like CoreDNS's <c>forward . /etc/resolv.conf</c>; a failing or refusing upstream makes it try
/// the next one. No answer from any: null (the server answers SERVFAIL). At most <c>maxConcurrent</c> questions wait on
/// the upstreams at once; one more is refused without being sent (CoreDNS's <c>max_concurrent</c>).
/// </summary>
internal sealed class Forwarder
{
    private readonly List<(IPEndPoint Endpoint, DnsClient Client)> _upstreams;
    private readonly ILogger _logger;
    private readonly int _maxConcurrent;
    private int _inFlight;

    public Forwarder(IEnumerable<IPEndPoint> upstreams, TimeSpan timeout, int maxConcurrent, ILogger logger)
    {
        _logger = logger;
        _maxConcurrent = maxConcurrent;
        _upstreams = upstreams
            .Select(u => (u, new DnsClient([u.Address], [new UdpClientTransport(u.Port), new TcpClientTransport(u.Port)], true, (int)timeout.TotalMilliseconds)))
            .ToList();
    }

    public IReadOnlyList<IPEndPoint> Upstreams => _upstreams.Select(u => u.Endpoint).ToList();

    public async Task<DnsAnswer?> ForwardAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        try
        {
            if (Interlocked.Increment(ref _inFlight) > _maxConcurrent)
            {
                Log.ForwardLimit(_logger, question.Name);
                return DnsAnswer.Refused;
            }

            return await AskUpstreamsAsync(question, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task<DnsAnswer?> AskUpstreamsAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        foreach ((IPEndPoint endpoint, DnsClient client) in _upstreams)
        {
            var query = new DnsMessage { IsRecursionDesired = true };
            query.Questions.Add(new DnsQuestion(question.Name, question.RecordType, question.RecordClass));
            DnsMessage? response;
            try
            {
                response = await client.SendMessageAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.UpstreamError(_logger, endpoint, question.Name, e.Message);
                continue;
            }

            if (response is null || response.ReturnCode is ReturnCode.ServerFailure or ReturnCode.Refused)
            {
                Log.UpstreamFailed(_logger, endpoint, question.Name, response?.ReturnCode);
                continue;
            }

            return new DnsAnswer(
                response.ReturnCode,
                response.AnswerRecords,
                response.AuthorityRecords,
                response.AdditionalRecords.Where(r => r.RecordType != RecordType.Opt).ToList(),
                Authoritative: false);
        }

        return null;
    }
}
