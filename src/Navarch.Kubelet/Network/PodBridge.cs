using System.Diagnostics;
using System.Net;
using System.Numerics;

namespace Navarch.Kubelet.Network;

/// <summary>
/// The node's pod bridge with its gateway address (the pod CIDR's first address), set up when the kubelet starts
/// instead of at the first pod, where the CNI bridge plugin would make it (it finds and keeps the same bridge and
/// address). So what listens on the gateway — the cluster DNS — and other nodes' routes to this pod CIDR work before
/// any pod runs here.
/// </summary>
public static class PodBridge
{
    /// <summary>The gateway the CNI bridge plugin with host-local IPAM gives a pod CIDR: its first address.</summary>
    public static IPAddress Gateway(IPNetwork podCidr)
    {
        byte[] bytes = podCidr.BaseAddress.GetAddressBytes();
        var next = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + 1;
        byte[] gateway = new byte[bytes.Length];
        next.TryWriteBytes(gateway.AsSpan(gateway.Length - next.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return new IPAddress(gateway);
    }

    /// <summary>Makes <paramref name="bridge"/> exist, up, with the gateway of <paramref name="podCidr"/>; returns why not, or null.</summary>
    public static async Task<string?> EnsureAsync(string bridge, string podCidr, CancellationToken cancellationToken)
    {
        if (!IPNetwork.TryParse(podCidr, out IPNetwork network))
        {
            return $"not a CIDR: {podCidr}";
        }

        string address = $"{Gateway(network)}/{network.PrefixLength}";
        string[][] steps = Directory.Exists($"/sys/class/net/{bridge}")
            ? [["addr", "replace", address, "dev", bridge], ["link", "set", bridge, "up"]]
            : [["link", "add", bridge, "type", "bridge"], ["addr", "replace", address, "dev", bridge], ["link", "set", bridge, "up"]];
        foreach (string[] step in steps)
        {
            if (await IpAsync(step, cancellationToken).ConfigureAwait(false) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>Deletes <paramref name="bridge"/> if it exists; true when it did.</summary>
    public static async Task<bool> DeleteAsync(string bridge, CancellationToken cancellationToken) =>
        Directory.Exists($"/sys/class/net/{bridge}") && await IpAsync(["link", "delete", bridge], cancellationToken).ConfigureAwait(false) is null;

    /// <summary>Runs <c>ip</c> with <paramref name="args"/>; its error, or null. Its output goes to <paramref name="output"/> if given.</summary>
    internal static async Task<string?> IpAsync(string[] args, CancellationToken cancellationToken, List<string>? output = null)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using Process process = Process.Start(info) ?? throw new InvalidOperationException("cannot run ip");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            string stderr = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            output?.AddRange((await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode == 0 ? null : $"ip {string.Join(' ', args)}: {stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"ip: {e.Message}";
        }
    }
}
