using Microsoft.Extensions.Logging;

namespace Navarch.Storage.Etcd;

public sealed partial class EtcdStore
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted etcd history below revision {Revision}")]
    private static partial void LogCompacted(ILogger logger, long revision);
}
