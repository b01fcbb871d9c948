using System.Net;
using System.Net.Sockets;
using Navarch.Kubelet.Server;

namespace Navarch.Kubelet.Tests;

/// <summary>A kubelet whose port another process holds stops before it starts anything, naming the address.</summary>
[Trait("Category", "Unit")]
public sealed class KubeletPortTests
{
    [Fact]
    public void A_taken_port_is_refused_with_the_address_and_a_free_one_is_not()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var options = new KubeletOptions { NodeName = "n", DataDir = "/nonexistent", KubeletBindAddress = IPAddress.Loopback, KubeletPort = taken };
        IOException refused = Assert.Throws<IOException>(() => KubeletServer.EnsurePortFree(options));
        Assert.Equal($"cannot listen on 127.0.0.1:{taken} for the kubelet API: address already in use (another kubelet? choose another --port)", refused.Message);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);

        holder.Stop();
        KubeletServer.EnsurePortFree(options);
    }
}
