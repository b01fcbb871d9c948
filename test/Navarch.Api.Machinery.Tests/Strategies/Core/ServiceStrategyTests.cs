using k8s.Models;
using Navarch.Api.Strategies.Core;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class ServiceStrategyTests
{
    [Fact]
    public void Services_need_named_unique_ports_in_range()
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "svc" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }, new V1ServicePort { Port = 70000, Name = "b", NodePort = 31000 }] },
        };
        Assert.Equal(["spec.ports[0].name", "spec.ports[1].port", "spec.ports[1].nodePort"], StrategyHarness.Create(ServiceStrategy.Create(), service).Select(e => e.Field));
        Assert.Equal("TCP", service.Spec.Ports[0].Protocol);
        Assert.Equal(80, service.Spec.Ports[0].TargetPort.Value is { } t ? int.Parse(t) : 0);
    }
}
