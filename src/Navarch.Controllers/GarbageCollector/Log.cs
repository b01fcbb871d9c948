using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.GarbageCollector;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Deleting {Kind} {Key} (uid {Uid}), its owners are gone or being deleted; propagation {Policy}")]
    public static partial void DeletingDependent(ILogger logger, string kind, string key, string uid, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing ownerReferences to {Owners} from {Kind} {Key}")]
    public static partial void RemovingOwnerReferences(ILogger logger, string kind, string key, IEnumerable<string> owners);

    [LoggerMessage(Level = LogLevel.Information, Message = "Orphaning {Kind} {Key}: removing its ownerReference to {Owner}")]
    public static partial void Orphaning(ILogger logger, string kind, string key, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing the {Finalizer} finalizer from {Kind} {Key}")]
    public static partial void RemovingFinalizer(ILogger logger, string finalizer, string kind, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Owner kind {Kind} of apiVersion {ApiVersion} is not served; its dependents are left alone")]
    public static partial void UnknownOwnerKind(ILogger logger, string kind, string apiVersion);
}
