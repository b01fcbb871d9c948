namespace Navarch.ApiServer.Audit;

/// <summary><c>--audit-log-path -</c>: events on standard output, never rotated.</summary>
internal sealed class StandardOutputLogFile : IAuditLogFile
{
    private readonly Stream _out = Console.OpenStandardOutput();

    public void Write(ReadOnlySpan<byte> data) => _out.Write(data);

    public void Flush() => _out.Flush();

    public void Dispose() => _out.Dispose();
}
