using k8s.Models;
using Navarch.Api.Strategies.Networking;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Networking;

[Trait("Category", "Unit")]
public sealed class IngressStrategyTests
{
    [Fact]
    public void Ingresses_need_a_backend_dns_hosts_absolute_paths_and_ports()
    {
        var ingress = new V1Ingress { Metadata = new V1ObjectMeta { Name = "validated-ingress" }, Spec = new V1IngressSpec() };
        AssertInvalid(Create(IngressStrategy.Create(), ingress), "spec", "either `defaultBackend` or `rules` must be specified");
        ingress.Spec.Rules =
        [
            new V1IngressRule
            {
                Host = "10.0.0.1",
                Http = new V1HTTPIngressRuleValue { Paths = [new V1HTTPIngressPath { Path = "relative", PathType = "Prefix", Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = "web" } } }] },
            },
        ];
        IReadOnlyList<FieldError> errors = Create(IngressStrategy.Create(), ingress);
        AssertInvalid(errors, "spec.rules[0].host", "must be a DNS name, not an IP address");
        AssertInvalid(errors, "spec.rules[0].http.paths[0].path", "must be an absolute path");
        AssertInvalid(errors, "spec.rules[0].http.paths[0].backend.service.port", "port name or number is required");
    }
}
