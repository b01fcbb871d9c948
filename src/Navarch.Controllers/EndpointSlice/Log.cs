using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.EndpointSlice;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "EndpointSlice cache of {Service} is behind the controller's writes; syncing later")]
    public static partial void StaleCache(ILogger logger, string service);

    [LoggerMessage(Level = LogLevel.Debug, Message = "EndpointSlices of {Service}: {Created} created, {Updated} updated, {Deleted} deleted")]
    public static partial void Reconciled(ILogger logger, string service, int created, int updated, int deleted);
}
