namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>
/// The robustness tests time every answer and measure memory, so they run alone: not beside each other, nor beside the
/// rest of the assembly's tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RobustnessCollection
{
    public const string Name = "Robustness";
}
