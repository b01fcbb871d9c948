using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.CronJob;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {CronJob}: too many missed start times (> 100); starting only the latest. Set or decrease .spec.startingDeadlineSeconds or check clock skew")]
    public static partial void TooManyMissed(ILogger logger, string cronJob);

    [LoggerMessage(Level = LogLevel.Information, Message = "CronJob {CronJob}: missed the run of {Scheduled:o}, past its startingDeadlineSeconds")]
    public static partial void MissedDeadline(ILogger logger, string cronJob, DateTimeOffset scheduled);

    [LoggerMessage(Level = LogLevel.Information, Message = "CronJob {CronJob}: not starting a Job because a prior one is still running and the concurrency policy is Forbid")]
    public static partial void ForbidSkip(ILogger logger, string cronJob);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {CronJob}: unparseable schedule {Schedule}")]
    public static partial void BadSchedule(ILogger logger, string cronJob, string schedule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {CronJob}: unknown time zone {TimeZone}")]
    public static partial void UnknownTimeZone(ILogger logger, string cronJob, string timeZone);

    [LoggerMessage(Level = LogLevel.Information, Message = "CronJob {CronJob}: created Job {Job}")]
    public static partial void Created(ILogger logger, string cronJob, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {CronJob}: Job {Job} exists and is not controlled by it")]
    public static partial void NotOurs(ILogger logger, string cronJob, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {CronJob}: creating its Job failed: {Reason}")]
    public static partial void CreateFailed(ILogger logger, string cronJob, string reason);
}
