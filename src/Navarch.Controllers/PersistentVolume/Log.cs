using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.PersistentVolume;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "PersistentVolume {Volume} deleted by {Plugin} (reclaim policy Delete)")]
    public static partial void Deleted(ILogger logger, string volume, string plugin);

    [LoggerMessage(Level = LogLevel.Information, Message = "PersistentVolume {Volume} recycled and Available again (reclaim policy Recycle)")]
    public static partial void Recycled(ILogger logger, string volume);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PersistentVolume {Volume} recycled but not saved ({Status}): it is recycled again at its next sync")]
    public static partial void RecycleUnsaved(ILogger logger, string volume, int status);
}
