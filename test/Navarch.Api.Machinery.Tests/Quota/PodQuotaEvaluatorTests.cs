using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Quota;

namespace Navarch.Api.Machinery.Tests.Quota;

[Trait("Category", "Unit")]
public sealed class PodQuotaEvaluatorTests
{
    private static V1Container Container(string name, string? cpu, string? limitCpu = null, string? restartPolicy = null) => new()
    {
        Name = name,
        RestartPolicy = restartPolicy,
        Resources = new V1ResourceRequirements
        {
            Requests = cpu is null ? null : new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) },
            Limits = limitCpu is null ? null : new Dictionary<string, ResourceQuantity> { ["cpu"] = new(limitCpu) },
        },
    };

    [Fact]
    public void Requests_are_the_containers_sum_raised_to_an_init_container_plus_sidecars_and_overhead()
    {
        var pod = new V1Pod
        {
            Spec = new V1PodSpec
            {
                Containers = [Container("a", "100m", "1"), Container("b", "200m")],
                InitContainers = [Container("sidecar", "50m", restartPolicy: "Always"), Container("init", "400m", "2")],
                Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m"), ["memory"] = new("1Mi") },
            },
        };

        Dictionary<string, Quantity> usage = PodQuotaEvaluator.Instance.Usage(pod, DateTimeOffset.UtcNow);

        // max(100m+200m+50m, 50m+400m) + 10m overhead.
        Assert.Equal(Quantity.Parse("460m"), usage["requests.cpu"]);
        Assert.Equal(Quantity.Parse("1Mi"), usage["requests.memory"]);
        Assert.Equal(Quantity.Parse("2010m"), usage["limits.cpu"]);
        Assert.False(usage.ContainsKey("limits.memory"));
        Assert.Equal(Quantity.FromUnits(1), usage["pods"]);
    }

    [Fact]
    public void An_ended_pod_is_only_an_object()
    {
        var pod = new V1Pod { Spec = new V1PodSpec { Containers = [Container("a", "1")] }, Status = new V1PodStatus { Phase = "Failed" } };
        Assert.Equal(["count/pods"], PodQuotaEvaluator.Instance.Usage(pod, DateTimeOffset.UtcNow).Keys);
    }

    [Fact]
    public void A_quota_on_cpu_or_memory_makes_every_container_say_its_own()
    {
        var pod = new V1Pod { Spec = new V1PodSpec { Containers = [Container("b", null), Container("a", "1")], InitContainers = [Container("i", null)] } };
        Assert.Equal(
            "must specify limits.cpu for: a,b,i; requests.cpu for: b,i",
            PodQuotaEvaluator.Instance.Constraints(["requests.cpu", "limits.cpu", "pods"], pod));
        Assert.Null(PodQuotaEvaluator.Instance.Constraints(["pods", "requests.storage"], pod));
    }

    [Fact]
    public void Scopes_follow_the_pod()
    {
        var pod = new V1Pod { Spec = new V1PodSpec { Containers = [Container("a", null)], PriorityClassName = "high", ActiveDeadlineSeconds = 5 } };
        bool In(string scope, string op = "Exists", params string[] values) =>
            PodQuotaEvaluator.Instance.MatchesScope(new V1ScopedResourceSelectorRequirement { ScopeName = scope, OperatorProperty = op, Values = values }, pod);

        Assert.True(In("BestEffort"));
        Assert.False(In("NotBestEffort"));
        Assert.True(In("Terminating"));
        Assert.True(In("PriorityClass", "In", "high", "low"));
        Assert.False(In("PriorityClass", "NotIn", "high"));
        Assert.False(In("PriorityClass", "DoesNotExist"));
    }
}
