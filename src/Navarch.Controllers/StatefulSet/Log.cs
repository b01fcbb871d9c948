using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.StatefulSet;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "StatefulSet {StatefulSet}: {Action} pod {Pod}")]
    public static partial void PodAction(ILogger logger, string statefulSet, string action, string pod);

    [LoggerMessage(Level = LogLevel.Warning, Message = "StatefulSet {StatefulSet}: creating claim {Claim} failed: {Reason}")]
    public static partial void CreateFailed(ILogger logger, string statefulSet, string claim, string reason);
}
