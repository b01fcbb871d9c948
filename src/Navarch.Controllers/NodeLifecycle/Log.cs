using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.NodeLifecycle;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} not heard from within {GracePeriod}: its conditions become Unknown")]
    public static partial void NodeUnknown(ILogger logger, string node, TimeSpan gracePeriod);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} is not ready (Ready={Status})")]
    public static partial void NodeNotReady(ILogger logger, string node, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node}: controller taints now {Taints}")]
    public static partial void Tainting(ILogger logger, string node, string taints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicting pod {Pod} from node {Node}: NoExecute taint not tolerated (any longer)")]
    public static partial void Evicting(ILogger logger, string pod, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelled the eviction of pod {Pod}: its node's NoExecute taints are gone or tolerated")]
    public static partial void EvictionCancelled(ILogger logger, string pod);
}
