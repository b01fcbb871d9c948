namespace Navarch.E2E.Tests;

/// <summary>The tests that run the single-file executable: it is published once for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class PublishedBinaryCollection : ICollectionFixture<PublishedBinary>
{
    public const string Name = "published binary";
}
