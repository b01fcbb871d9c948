using k8s.Models;
using Navarch.Api.Strategies.Apps;

namespace Navarch.Api.Machinery.Tests.Strategies.Apps;

[Trait("Category", "Unit")]
public sealed class DeploymentStrategyTests
{
    [Fact]
    public void A_deployment_selector_must_match_its_template()
    {
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "api" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "Bad_Name" }] },
                },
            },
        };
        Assert.Equal(
            ["spec.template.metadata.labels", "spec.template.spec.containers[0].name", "spec.template.spec.containers[0].image"],
            StrategyHarness.Create(DeploymentStrategy.Create(), deployment).Select(e => e.Field));
    }
}
