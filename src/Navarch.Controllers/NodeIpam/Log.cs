using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.NodeIpam;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} gets pod CIDR {Cidr}")]
    public static partial void Allocated(ILogger logger, string node, string cidr);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No pod CIDR left in {ClusterCidr} for node {Node}")]
    public static partial void Exhausted(ILogger logger, string clusterCidr, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} has pod CIDR {Cidr}, outside the cluster CIDR {ClusterCidr}")]
    public static partial void Foreign(ILogger logger, string node, string cidr, string clusterCidr);
}
