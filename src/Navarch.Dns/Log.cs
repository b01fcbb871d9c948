using System.Net;
using Microsoft.Extensions.Logging;

namespace Navarch.Dns;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster DNS serves no metrics on port {Port}: {Error}")]
    public static partial void MetricsPortFailed(ILogger logger, int port, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster DNS for {Domain} listening on {Endpoint} (UDP and TCP), forwarding to {Upstreams}")]
    public static partial void Listening(ILogger logger, string domain, IPEndPoint endpoint, IEnumerable<IPEndPoint> upstreams);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Upstream {Upstream} failed for {Name}: {Error}")]
    public static partial void UpstreamError(ILogger logger, IPEndPoint upstream, ARSoft.Tools.Net.DomainName name, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Upstream {Upstream} gave no usable answer for {Name}: {Outcome} (none: no answer)")]
    public static partial void UpstreamFailed(ILogger logger, IPEndPoint upstream, ARSoft.Tools.Net.DomainName name, ARSoft.Tools.Net.Dns.ReturnCode? outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused {Name}: as many questions as allowed are waiting on the upstreams")]
    public static partial void ForwardLimit(ILogger logger, ARSoft.Tools.Net.DomainName name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a query from {Client} over {Protocol}: not a client of the cluster")]
    public static partial void NotAClient(ILogger logger, IPAddress client, ARSoft.Tools.Net.Dns.TransportProtocol protocol);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS server error: {Error}")]
    public static partial void ServerError(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed to answer {Question}")]
    public static partial void QueryFailed(ILogger logger, Exception exception, IEnumerable<ARSoft.Tools.Net.Dns.DnsQuestion> question);
}
