using Navarch.Storage;

namespace Navarch.ApiServer.Registry.Events;

/// <summary>Events expire like Kubernetes' (--event-ttl, 1 h): the store deletes them through a lease.</summary>
internal sealed class EventStoreHooks : StoreHooks
{
    private static readonly WriteOptions Ttl = new(TimeSpan.FromHours(1));

    public override WriteOptions? WriteOptions => Ttl;
}
