namespace Navarch.ApiServer.Audit;

/// <summary>What the log backend writes lines to: the rotating file, or standard output for <c>--audit-log-path -</c>.</summary>
internal interface IAuditLogFile : IDisposable
{
    /// <summary>Appends <paramref name="data"/>.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>Hands what was written to the operating system.</summary>
    void Flush();
}
