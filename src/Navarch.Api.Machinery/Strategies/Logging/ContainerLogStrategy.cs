using Navarch.Api.Logging;

namespace Navarch.Api.Strategies.Logging;

/// <summary>logging.navarch.io/v1 ContainerLog: read-only lines with CONTAINER, STREAM, TIME and MESSAGE columns.</summary>
internal static class ContainerLogStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ContainerLog> Create() => new()
    {
        Columns =
        [
            new("Container", "string", "", "The container that wrote the line"),
            new("Stream", "string", "", "stdout or stderr"),
            new("Time", "string", "", "When the line was written"),
            new("Message", "string", "", "The line"),
        ],
        Cells = (l, _) => [l.Container, l.Stream, l.Time, l.Message],
    };
}
