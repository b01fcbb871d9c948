using k8s.Models;
using Navarch.Api.Strategies.Discovery;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Discovery;

[Trait("Category", "Unit")]
public sealed class EndpointSliceStrategyTests
{
    [Fact]
    public void Slices_need_addresses_of_their_type()
    {
        var slice = new V1EndpointSlice { Metadata = new V1ObjectMeta { Name = "slice-bad" }, AddressType = "IPv4", Endpoints = [new V1Endpoint { Addresses = ["fd00::1"] }] };
        AssertInvalid(Create(EndpointSliceStrategy.Create(), slice), "endpoints[0].addresses[0]", "must be a valid IPv4 address");
        slice.AddressType = "IPv5";
        AssertInvalid(Create(EndpointSliceStrategy.Create(), slice), "addressType", "supported values");
    }
}
