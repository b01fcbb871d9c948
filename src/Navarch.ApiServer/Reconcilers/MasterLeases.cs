using System.Net;
using System.Text.Json;
using Navarch.Api;
using k8s.Models;
using Navarch.Client.Publishing;
using Navarch.Storage;

namespace Navarch.ApiServer.Reconcilers;

/// <summary>
/// kube-apiserver's master leases (reconcilers.storageLeases): one key per live API server under
/// <c>/registry/masterleases/&lt;ip&gt;</c>, written with a TTL and refreshed by its server, so a server that stops
/// refreshing (it died, or lost the store) drops out once the TTL passes. The value is an Endpoints object with the one
/// address, as kube-apiserver stores it; Navarch adds the Node the server runs on, when it is also a node.
/// </summary>
internal sealed class MasterLeases(IStore store, TimeSpan ttl)
{
    /// <summary>The key prefix (kube-apiserver's <c>/masterleases/</c> under the storage prefix).</summary>
    public const string Prefix = "/registry/masterleases/";

    /// <summary>Adds or refreshes the lease of <paramref name="address"/> (UpdateLease).</summary>
    public async Task UpdateAsync(PublishedAddress address, CancellationToken cancellationToken)
    {
        string key = Prefix + address.Address;
        var options = new WriteOptions(ttl);
        while (true)
        {
            KeyValue? current = await store.GetAsync(key, cancellationToken: cancellationToken);
            // The generation counts refreshes: kube-apiserver bumps it because a write that changes nothing refreshes no TTL.
            long generation = current is null ? 1 : (JsonSerializer.Deserialize<V1Endpoints>(current.Value, KubernetesSerialization.Options)!.Metadata?.Generation ?? 0) + 1;
            byte[] value = JsonSerializer.SerializeToUtf8Bytes(new V1Endpoints
            {
                ApiVersion = "v1",
                Kind = "Endpoints",
                Metadata = new V1ObjectMeta { Name = address.Address.ToString(), Generation = generation },
                Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = address.Address.ToString(), NodeName = address.NodeName }] }],
            }, KubernetesSerialization.Options);
            try
            {
                if (current is null)
                {
                    await store.CreateAsync(key, value, options, cancellationToken);
                }
                else
                {
                    await store.UpdateAsync(key, value, current.ModRevision, options, cancellationToken);
                }

                return;
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.KeyExists or StorageErrorCode.KeyNotFound or StorageErrorCode.Conflict)
            {
                // Expired or written meanwhile: read again.
            }
        }
    }

    /// <summary>The addresses with a live lease, in key order (ListLeases).</summary>
    public async Task<IReadOnlyList<PublishedAddress>> ListAsync(CancellationToken cancellationToken)
    {
        ListResult leases = await store.ListAsync(Prefix, new ListOptions(), cancellationToken);
        var addresses = new List<PublishedAddress>();
        foreach (KeyValue lease in leases.Items)
        {
            V1EndpointAddress? address = JsonSerializer.Deserialize<V1Endpoints>(lease.Value, KubernetesSerialization.Options)!.Subsets?.FirstOrDefault()?.Addresses?.FirstOrDefault();
            if (address?.Ip is { Length: > 0 } ip && IPAddress.TryParse(ip, out IPAddress? parsed))
            {
                addresses.Add(new PublishedAddress(parsed, address.NodeName));
            }
        }

        return addresses;
    }

    /// <summary>Removes the lease of <paramref name="address"/> (RemoveLease).</summary>
    public async Task RemoveAsync(IPAddress address, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(Prefix + address, cancellationToken: cancellationToken);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
        {
            // Expired already.
        }
    }
}
