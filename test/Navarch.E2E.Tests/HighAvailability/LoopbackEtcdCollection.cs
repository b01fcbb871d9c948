namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// Tests that bind the fixed ports 6443, 2379 and 2380 on 127.0.0.2-127.0.0.4 (no other test uses these addresses):
/// one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoopbackEtcdCollection
{
    public const string Name = "Embedded etcd servers on 127.0.0.2-4";
}
