namespace Navarch.Kubelet.Server;

/// <summary>One logical line of a container's output: its partial fragments joined, with the first fragment's time.</summary>
/// <param name="Time">When the line (its first fragment) was logged.</param>
/// <param name="TimeText">That time as RFC 3339 with nine fractional digits (the kubelet's output format).</param>
/// <param name="Stream">stdout or stderr.</param>
/// <param name="Content">The bytes of the line, ending with a newline.</param>
internal sealed record CriLogMessage(DateTimeOffset Time, string TimeText, string Stream, byte[] Content);
