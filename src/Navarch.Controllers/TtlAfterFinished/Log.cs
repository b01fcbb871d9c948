using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.TtlAfterFinished;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Finished Job {Job} outlived its ttlSecondsAfterFinished: deleted")]
    public static partial void Expired(ILogger logger, string job);
}
