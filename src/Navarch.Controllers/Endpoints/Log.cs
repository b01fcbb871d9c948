using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.Endpoints;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the Endpoints of removed Service {Service}")]
    public static partial void EndpointsDeleted(ILogger logger, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoints of {Service} truncated to {Max} addresses")]
    public static partial void Truncated(ILogger logger, string service, int max);
}
