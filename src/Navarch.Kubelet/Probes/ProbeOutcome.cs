namespace Navarch.Kubelet.Probes;

/// <summary>One probe or hook run: its result and what it said (the text of an Unhealthy or hook event).</summary>
internal readonly record struct ProbeOutcome(ProbeResult Result, string Output)
{
    public static ProbeOutcome Success(string output = "") => new(ProbeResult.Success, output);

    public static ProbeOutcome Failure(string output) => new(ProbeResult.Failure, output);
}
