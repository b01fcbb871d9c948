using Microsoft.Extensions.Logging;

namespace Navarch.Storage.Sqlite;

public sealed partial class SqliteStore
{
    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite commit of {Count} writes failed: {Reason}")]
    private static partial void LogCommitFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease sweep failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted history below revision {Revision}")]
    private static partial void LogCompacted(ILogger logger, long revision);
}
