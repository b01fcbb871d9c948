using Navarch.Storage.Etcd;
using Navarch.Storage.Tests.Conformance;

namespace Navarch.Storage.Tests.Etcd;

[Trait("Category", "Integration")]
public sealed class EtcdStoreConformanceTests(EtcdFixture etcd) : StoreConformanceTests, IClassFixture<EtcdFixture>
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    protected override TimeSpan SlowWatcherGrace => Grace;

    protected override async Task<IStore> OpenStoreAsync(int watchBufferSize) =>
        await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = etcd.Server.Endpoint, WatchBufferSize = watchBufferSize, SlowWatcherGrace = Grace });
}
