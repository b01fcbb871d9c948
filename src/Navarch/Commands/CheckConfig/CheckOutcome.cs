namespace Navarch.Commands.CheckConfig;

/// <summary>The result of one prerequisite check: pass, warn (optional) or fail, what was found, and the fix.</summary>
internal sealed record CheckOutcome(string Name, CheckStatus Status, string Detail, string? Fix)
{
    /// <summary>The line <c>navarch check-config</c> prints.</summary>
    public override string ToString() =>
        $"{Status.ToString().ToUpperInvariant(),-4}  {Name}: {Detail}{(Status == CheckStatus.Pass || Fix is null ? "" : $" (fix: {Fix})")}";
}
