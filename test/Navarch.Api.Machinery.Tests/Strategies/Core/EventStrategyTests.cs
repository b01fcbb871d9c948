using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class EventStrategyTests
{
    [Fact]
    public void An_event_is_about_an_object_in_its_namespace()
    {
        var e = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "elsewhere.1", NamespaceProperty = "default" },
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "p", NamespaceProperty = "kube-system" },
            Reason = "Test",
        };
        AssertInvalid(Create(EventStrategy.Create(), e), "involvedObject.namespace", "does not match event.namespace");
    }
}
