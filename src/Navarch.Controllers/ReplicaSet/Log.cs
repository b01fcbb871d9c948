using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.ReplicaSet;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating a pod for {ReplicaSet} failed: {Reason}")]
    public static partial void CreateFailed(ILogger logger, string replicaSet, string reason);
}
