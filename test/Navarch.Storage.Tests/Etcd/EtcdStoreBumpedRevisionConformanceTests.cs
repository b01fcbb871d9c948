using Navarch.Storage.Etcd;
using Navarch.Storage.Tests.Conformance;

namespace Navarch.Storage.Tests.Etcd;

/// <summary>
/// The store contract on an etcd whose revisions were bumped as after a restore (<see cref="EtcdStore.BumpRevisionAsync"/>):
/// every revision in and out goes through the offset, so every conformance test runs on it a second time.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EtcdStoreBumpedRevisionConformanceTests(EtcdFixture etcd) : StoreConformanceTests, IClassFixture<EtcdFixture>
{
    private const long Bump = 1_000_000_000;
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    protected override TimeSpan SlowWatcherGrace => Grace;

    protected override async Task<IStore> OpenStoreAsync(int watchBufferSize)
    {
        EtcdStore store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = etcd.Server.Endpoint, WatchBufferSize = watchBufferSize, SlowWatcherGrace = Grace });
        if (await store.GetCurrentRevisionAsync() < Bump)
        {
            // The fixture's etcd, once: what a restore leaves (a revision floor, and the offset every later open reads).
            await store.CreateAsync("/before-the-restore", [1]);
            long before = await store.GetCurrentRevisionAsync();
            Assert.Equal(Bump, await store.BumpRevisionAsync(Bump));
            Assert.True(await store.GetCurrentRevisionAsync() > before + Bump);
            var gone = await Assert.ThrowsAsync<StorageException>(() => store.GetAsync("/before-the-restore", before));
            Assert.Equal(StorageErrorCode.Compacted, gone.Code);
            Assert.True((await store.GetAsync("/before-the-restore"))!.ModRevision > Bump);
        }

        return store;
    }
}
