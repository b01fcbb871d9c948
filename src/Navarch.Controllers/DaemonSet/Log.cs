using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.DaemonSet;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating a daemon pod of {DaemonSet} on {Node} failed: {Reason}")]
    public static partial void CreateFailed(ILogger logger, string daemonSet, string node, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleting failed daemon pod {Pod} of {DaemonSet} on {Node}")]
    public static partial void DeletingFailed(ILogger logger, string pod, string daemonSet, string node);
}
