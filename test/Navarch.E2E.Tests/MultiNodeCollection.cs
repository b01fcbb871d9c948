namespace Navarch.E2E.Tests;

/// <summary>
/// The multi-node test classes that share one <see cref="NetnsCluster"/> (booting a cluster of network namespaces is
/// the slow part); xunit runs the classes of a collection one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MultiNodeCollection : ICollectionFixture<NetnsCluster>
{
    public const string Name = "multi-node cluster";
}
