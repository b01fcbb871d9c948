using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class EndpointsStrategyTests
{
    private static V1Endpoints Endpoints(string ip, int port) => new()
    {
        Metadata = new V1ObjectMeta { Name = "ep-bad" },
        Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = ip }], Ports = [new Corev1EndpointPort { Port = port }] }],
    };

    [Fact]
    public void Endpoints_need_real_addresses_and_ports()
    {
        AssertInvalid(Create(EndpointsStrategy.Create(), Endpoints("10.0.0.300", 80)), "subsets[0].addresses[0].ip", "must be a valid IP address");
        AssertInvalid(Create(EndpointsStrategy.Create(), Endpoints("127.0.0.1", 80)), "subsets[0].addresses[0].ip", "loopback");
        AssertInvalid(Create(EndpointsStrategy.Create(), Endpoints("10.0.0.1", 70000)), "subsets[0].ports[0].port", "between 1 and 65535");

        V1Endpoints good = Endpoints("10.0.0.1", 80);
        Assert.Empty(Create(EndpointsStrategy.Create(), good));
        Assert.Equal("TCP", good.Subsets[0].Ports[0].Protocol);
    }
}
