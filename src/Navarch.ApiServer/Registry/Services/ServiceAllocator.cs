using System.Net;
using System.Numerics;
using System.Text.Json;
using k8s.Models;
using Navarch.Api;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry.Services;

/// <summary>
/// Hands out Service cluster IPs from the service CIDR and node ports from 30000–32767. Every allocation is a key in
/// the store created with compare-and-swap, so an address is never given twice, across restarts and concurrent
/// creates; it is released with the Service.
/// </summary>
internal sealed class ServiceAllocator(IStore store, string serviceCidr)
{
    private const string IpPrefix = "/registry/navarch/serviceips/";
    private const string PortPrefix = "/registry/navarch/servicenodeports/";
    private readonly (BigInteger Base, int Bits) _cidr = ParseCidr(serviceCidr);

    /// <summary>The first address of the range: the <c>kubernetes</c> Service's.</summary>
    public IPAddress First => ToAddress(_cidr.Base + 1);

    /// <summary>Allocates what <paramref name="service"/> needs; on failure releases what it took. Returns the keys taken.</summary>
    public async Task<List<string>> AllocateAsync(V1Service service, CancellationToken cancellationToken)
    {
        var taken = new List<string>();
        try
        {
            V1ServiceSpec spec = service.Spec;
            if (spec.Type != "ExternalName" && spec.ClusterIP != "None")
            {
                if (string.IsNullOrEmpty(spec.ClusterIP))
                {
                    spec.ClusterIP = await AllocateIpAsync(service, taken, cancellationToken);
                }
                else
                {
                    await ClaimIpAsync(service, spec.ClusterIP, taken, cancellationToken);
                }

                spec.ClusterIPs = [spec.ClusterIP];
            }
            else if (spec.ClusterIP == "None")
            {
                spec.ClusterIPs = ["None"];
            }

            if (spec.Type is "NodePort" or "LoadBalancer")
            {
                for (int i = 0; i < (spec.Ports?.Count ?? 0); i++)
                {
                    V1ServicePort port = spec.Ports![i];
                    port.NodePort = port.NodePort is { } wanted and not 0
                        ? await ClaimPortAsync(service, wanted, i, taken, cancellationToken)
                        : await AllocatePortAsync(service, i, taken, cancellationToken);
                }
            }

            return taken;
        }
        catch
        {
            await ReleaseAsync(taken, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Releases the allocations of a deleted Service.</summary>
    public Task ReleaseAsync(V1Service service, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        if (service.Spec?.ClusterIP is { Length: > 0 } ip && ip != "None")
        {
            keys.Add(IpPrefix + ip);
        }

        keys.AddRange((service.Spec?.Ports ?? []).Where(p => p.NodePort is > 0).Select(p => PortPrefix + p.NodePort));
        return ReleaseAsync(keys, cancellationToken);
    }

    private async Task ReleaseAsync(List<string> keys, CancellationToken cancellationToken)
    {
        foreach (string key in keys)
        {
            try
            {
                await store.DeleteAsync(key, 0, cancellationToken);
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
            {
            }
        }
    }

    private async Task<string> AllocateIpAsync(V1Service service, List<string> taken, CancellationToken cancellationToken)
    {
        BigInteger size = BigInteger.One << (32 - _cidr.Bits);
        // Start from a hash of the name so concurrent creates rarely collide; skip network, first and broadcast.
        long start = Math.Abs((long)StableHash(service.Metadata.NamespaceProperty + "/" + service.Metadata.Name)) % (long)(size - 3);
        for (long i = 0; i < (long)size - 3; i++)
        {
            string ip = ToAddress(_cidr.Base + 2 + ((start + i) % (long)(size - 3))).ToString();
            if (await TryTakeAsync(IpPrefix + ip, service, taken, cancellationToken))
            {
                return ip;
            }
        }

        throw ApiErrors.Internal("failed to allocate a serviceIP: range is full");
    }

    private async Task ClaimIpAsync(V1Service service, string ip, List<string> taken, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(ip, out IPAddress? address) || !Contains(address))
        {
            throw ApiErrors.Invalid("Service", "", service.Metadata.Name, [new FieldError(FieldErrorType.Invalid, "spec.clusterIPs", ip, $"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {serviceCidr}")]);
        }

        if (!await TryTakeAsync(IpPrefix + address, service, taken, cancellationToken))
        {
            throw ApiErrors.Invalid("Service", "", service.Metadata.Name, [new FieldError(FieldErrorType.Invalid, "spec.clusterIPs", ip, $"failed to allocate IP {ip}: provided IP is already allocated")]);
        }
    }

    private async Task<int> AllocatePortAsync(V1Service service, int index, List<string> taken, CancellationToken cancellationToken)
    {
        int start = (int)(StableHash($"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}/{index}") % 2768);
        for (int i = 0; i < 2768; i++)
        {
            int port = 30000 + ((start + i) % 2768);
            if (await TryTakeAsync(PortPrefix + port, service, taken, cancellationToken))
            {
                return port;
            }
        }

        throw ApiErrors.Internal("failed to allocate a nodePort: range is full");
    }

    private async Task<int> ClaimPortAsync(V1Service service, int port, int index, List<string> taken, CancellationToken cancellationToken)
    {
        if (!await TryTakeAsync(PortPrefix + port, service, taken, cancellationToken))
        {
            throw ApiErrors.Invalid("Service", "", service.Metadata.Name, [new FieldError(FieldErrorType.Invalid, $"spec.ports[{index}].nodePort", port, "provided port is already allocated")]);
        }

        return port;
    }

    private async Task<bool> TryTakeAsync(string key, V1Service service, List<string> taken, CancellationToken cancellationToken)
    {
        try
        {
            byte[] owner = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?> { ["namespace"] = service.Metadata.NamespaceProperty, ["name"] = service.Metadata.Name });
            await store.CreateAsync(key, owner, null, cancellationToken);
            taken.Add(key);
            return true;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyExists)
        {
            return false;
        }
    }

    private bool Contains(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (ToInteger(address) >> (32 - _cidr.Bits)) == (_cidr.Base >> (32 - _cidr.Bits));

    private static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h = (h ^ c) * 16777619;
        }

        return h;
    }

    private static (BigInteger, int) ParseCidr(string cidr)
    {
        string[] parts = cidr.Split('/');
        return (ToInteger(IPAddress.Parse(parts[0])), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static BigInteger ToInteger(IPAddress address) => new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress ToAddress(BigInteger value)
    {
        byte[] bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] four = new byte[4];
        bytes.AsSpan(Math.Max(0, bytes.Length - 4)).CopyTo(four.AsSpan(4 - Math.Min(4, bytes.Length)));
        return new IPAddress(four);
    }
}
