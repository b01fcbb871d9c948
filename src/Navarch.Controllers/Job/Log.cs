using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.Job;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating a pod for {Job} failed: {Reason}")]
    public static partial void CreateFailed(ILogger logger, string job, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} failed: {Reason}")]
    public static partial void JobFailed(ILogger logger, string job, string reason);
}
