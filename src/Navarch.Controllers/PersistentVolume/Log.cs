using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.PersistentVolume;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "PersistentVolume {Volume} deleted by {Plugin} (reclaim policy Delete)")]
    public static partial void Deleted(ILogger logger, string volume, string plugin);
}
