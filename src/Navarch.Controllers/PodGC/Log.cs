using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.PodGC;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Deleting {Count} terminated pods over the threshold of {Threshold}")]
    public static partial void TrimmingTerminated(ILogger logger, int count, int threshold);

    [LoggerMessage(Level = LogLevel.Information, Message = "Force-deleting pod {Namespace}/{Pod}: its node {Node} no longer exists")]
    public static partial void DeletingOrphan(ILogger logger, string @namespace, string pod, string node);
}
