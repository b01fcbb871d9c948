using Navarch.Storage.Sqlite;
using Navarch.Storage.Tests.Conformance;

namespace Navarch.Storage.Tests.Sqlite;

[Trait("Category", "Integration")]
public sealed class SqliteStoreConformanceTests : StoreConformanceTests, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-sqlite-");

    protected override async Task<IStore> OpenStoreAsync(int watchBufferSize) =>
        await SqliteStore.OpenAsync(new SqliteStoreOptions
        {
            Path = Path.Combine(_dir.FullName, "state.db"),
            WatchBufferSize = watchBufferSize,
            LeaseSweepInterval = TimeSpan.FromMilliseconds(200),
        });

    public void Dispose() => _dir.Delete(recursive: true);
}
