namespace Navarch.E2E.Tests;

/// <summary>
/// Tests that reach a server's components on their fixed ports (the controller manager's 10257, the scheduler's 10259,
/// the cluster DNS's metrics on 9153): run alone, after the parallel collections, so that no other test's server holds
/// those ports meanwhile (a second server on the machine logs that the port is taken and serves without it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FixedPortsCollection
{
    public const string Name = "fixed ports";
}
