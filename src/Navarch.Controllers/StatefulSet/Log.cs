using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.StatefulSet;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "StatefulSet {StatefulSet}: {Action} pod {Pod}")]
    public static partial void PodAction(ILogger logger, string statefulSet, string action, string pod);

    [LoggerMessage(Level = LogLevel.Warning, Message = "StatefulSet {StatefulSet}: creating claim {Claim} failed: {Reason}")]
    public static partial void CreateFailed(ILogger logger, string statefulSet, string claim, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "StatefulSet {StatefulSet}: not creating the pod of ordinal {Ordinal} while a claim of an earlier pod of that name is being collected")]
    public static partial void StaleClaim(ILogger logger, string statefulSet, int ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "StatefulSet {StatefulSet}: claim {Claim} gets the owners of its retention policy")]
    public static partial void RetentionOwners(ILogger logger, string statefulSet, string claim);
}
