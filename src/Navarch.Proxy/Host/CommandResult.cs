namespace Navarch.Proxy.Host;

/// <summary>What a command did.</summary>
/// <param name="ExitCode">Its exit code (127 when it could not start).</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error.</param>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Exit code 0.</summary>
    public bool Success => ExitCode == 0;
}
