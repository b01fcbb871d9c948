using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Navarch.Controllers.HorizontalPodAutoscaler;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The HPA's replica calculator and normalizer on a fake clock, on the cases of Kubernetes' replica_calculator_test.go
/// and horizontal_test.go: the ratio and its tolerance, missing metrics, not-yet-ready pods, average values, legacy
/// stabilization and rate limit, and behavior's policies, selectPolicy and windows.
/// </summary>
[Trait("Category", "Unit")]
public sealed class HorizontalPodAutoscalerAlgorithmTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);

    private ReplicaCalculator Calculator => new(_clock);

    private static V1Pod Pod(string name, string request = "100m", string phase = "Running", bool ready = true, DateTimeOffset? started = null, DateTimeOffset? readySince = null, bool deleting = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, DeletionTimestamp = deleting ? Start.UtcDateTime : null },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(request) } } }] },
        Status = new V1PodStatus
        {
            Phase = phase,
            StartTime = (started ?? Start.AddMinutes(-10)).UtcDateTime,
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = (readySince ?? Start.AddMinutes(-9)).UtcDateTime }],
        },
    };

    private static Dictionary<string, PodMetric> Usage(params (string Pod, long Milli)[] usage) =>
        usage.ToDictionary(u => u.Pod, u => new PodMetric(u.Milli, Start.AddSeconds(-5), TimeSpan.FromSeconds(15)));

    [Fact]
    public void ScalesUpByTheRatioOfUtilizationToTarget()
    {
        ReplicaCalculation result = Calculator.ForUtilization(3, 50, "cpu", null, [Pod("a"), Pod("b"), Pod("c")], Usage(("a", 150), ("b", 150), ("c", 150)));
        Assert.Equal(9, result.Replicas);
        Assert.Equal(150, result.Utilization);
        Assert.Equal(150, result.AverageMilliValue);
    }

    [Fact]
    public void RatioWithinTheTenPercentToleranceKeepsTheCount()
    {
        Assert.Equal(3, Calculator.ForUtilization(3, 50, "cpu", null, [Pod("a"), Pod("b"), Pod("c")], Usage(("a", 54), ("b", 54), ("c", 54))).Replicas);
        Assert.Equal(4, Calculator.ForUtilization(3, 50, "cpu", null, [Pod("a"), Pod("b"), Pod("c")], Usage(("a", 56), ("b", 56), ("c", 56))).Replicas);
        Assert.Equal(3, new ReplicaCalculator(_clock, tolerance: 0.2).ForUtilization(3, 50, "cpu", null, [Pod("a"), Pod("b"), Pod("c")], Usage(("a", 56), ("b", 56), ("c", 56))).Replicas);
    }

    [Fact]
    public void ScalesDownWithMissingMetricsCountedAtTheirRequest()
    {
        // 100m of 1000m on three pods, the fourth unreported: counted at 100 % of its request, 1300m/4000m = 32 % of a 50 % target.
        V1Pod[] pods = [Pod("a", "1"), Pod("b", "1"), Pod("c", "1"), Pod("d", "1")];
        Assert.Equal(3, Calculator.ForUtilization(4, 50, "cpu", null, pods, Usage(("a", 100), ("b", 100), ("c", 100))).Replicas);
    }

    [Fact]
    public void ScaleUpCountsMissingPodsAsIdle()
    {
        V1Pod[] pods = [Pod("a"), Pod("b")];
        // One pod at 100 % of a 50 % target, the other unreported (idle): (100 + 0) / 200 = 50 %, no change.
        Assert.Equal(2, Calculator.ForUtilization(2, 50, "cpu", null, pods, Usage(("a", 100))).Replicas);
        // At 300 %: (300 + 0) / 200 = 150 %, ratio 3 over two pods.
        Assert.Equal(6, Calculator.ForUtilization(2, 50, "cpu", null, pods, Usage(("a", 300))).Replicas);
    }

    [Fact]
    public void UnreadyPodsDampAScaleUpAndNeverReverseIt()
    {
        // One ready pod at twice its 50 % target; three starting pods (not Ready, or Pending) counted as idle make it
        // 50 %: no change rather than a scale down.
        DateTimeOffset started = Start.AddMinutes(-1);
        V1Pod[] pods = [Pod("a"), Pod("b", ready: false, started: started), Pod("c", phase: "Pending"), Pod("d", ready: false, started: started)];
        Assert.Equal(4, Calculator.ForUtilization(4, 50, "cpu", null, pods, Usage(("a", 100), ("b", 100), ("d", 100))).Replicas);

        // Past the initialization period, a pod that turned unready after starting counts with its CPU.
        V1Pod[] settled = [Pod("a"), Pod("b", ready: false), Pod("c", phase: "Pending"), Pod("d", ready: false)];
        Assert.Equal(6, Calculator.ForUtilization(4, 50, "cpu", null, settled, Usage(("a", 100), ("b", 100), ("d", 100))).Replicas);
    }

    [Fact]
    public void CpuSampledBeforeAStartingPodWasReadyForAWholeWindowIsNotCounted()
    {
        // Started a minute ago, Ready 10 s before the sample whose window is 15 s: its CPU is start-up noise.
        V1Pod fresh = Pod("b", started: Start.AddMinutes(-1), readySince: Start.AddSeconds(-15));
        ReplicaCalculation result = Calculator.ForUtilization(2, 50, "cpu", null, [Pod("a"), fresh], Usage(("a", 50), ("b", 1000)));
        Assert.Equal(2, result.Replicas);
        Assert.Equal(50, result.Utilization);
    }

    [Fact]
    public void DeletedAndFailedPodsAreIgnored()
    {
        V1Pod[] pods = [Pod("a"), Pod("b", deleting: true), Pod("c", phase: "Failed")];
        ReplicaCalculation result = Calculator.ForUtilization(1, 50, "cpu", null, pods, Usage(("a", 50), ("b", 1000), ("c", 1000)));
        Assert.Equal(1, result.Replicas);
        Assert.Equal(50, result.Utilization);
    }

    [Fact]
    public void AverageValueTargetsCompareTheRawAverage()
    {
        ReplicaCalculation result = Calculator.ForAverageValue(2, 100, "cpu", [Pod("a"), Pod("b")], Usage(("a", 300), ("b", 300)));
        Assert.Equal(6, result.Replicas);
        Assert.Null(result.Utilization);
        Assert.Equal(300, result.AverageMilliValue);
    }

    [Fact]
    public void ContainerResourceCountsOnlyThatContainersRequest()
    {
        // The sidecar's 900m request would dilute the pod's utilization to 15 %; the app container alone is at 150 %.
        V1Pod pod = Pod("a");
        pod.Spec.Containers.Add(new V1Container { Name = "sidecar", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("900m") } } });
        Assert.Equal(1, Calculator.ForUtilization(1, 50, "cpu", null, [pod], Usage(("a", 150))).Replicas);
        ReplicaCalculation app = Calculator.ForUtilization(1, 50, "cpu", "c", [pod], Usage(("a", 150)));
        Assert.Equal((3, 150), (app.Replicas, app.Utilization));
    }

    [Fact]
    public void ErrorsCarryKubernetesMessages()
    {
        V1Pod noRequest = Pod("a");
        noRequest.Spec.Containers[0].Resources = new V1ResourceRequirements();
        Assert.Equal("missing request for cpu in container c of Pod a", Assert.Throws<MetricsException>(() => Calculator.ForUtilization(1, 50, "cpu", null, [noRequest], Usage(("a", 10)))).Message);
        Assert.Equal("no pods returned by selector while calculating replica count", Assert.Throws<MetricsException>(() => Calculator.ForUtilization(1, 50, "cpu", null, [], Usage())).Message);
        Assert.Equal("did not receive metrics for targeted pods (pods might be unready)", Assert.Throws<MetricsException>(() => Calculator.ForUtilization(1, 50, "cpu", null, [Pod("a", phase: "Pending")], Usage(("a", 10)))).Message);
    }

    [Fact]
    public void WithoutBehaviorScaleDownIsStabilizedOverTheWindow()
    {
        var normalizer = new ReplicaNormalizer(_clock, TimeSpan.FromMinutes(5));
        Assert.Equal(5, normalizer.Normalize("ns/h", null, 1, 10, 5, 5).Replicas);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Normalization held = normalizer.Normalize("ns/h", null, 1, 10, 5, 2);
        Assert.Equal(5, held.Replicas);
        Assert.Equal("ScaleDownStabilized", held.AbleToScaleReason);
        _clock.Advance(TimeSpan.FromMinutes(4.5));
        Normalization down = normalizer.Normalize("ns/h", null, 1, 10, 5, 2);
        Assert.Equal(2, down.Replicas);
        Assert.Equal("ReadyForNewScale", down.AbleToScaleReason);
        Assert.False(down.Limited);
        Assert.Equal("DesiredWithinRange", down.LimitedReason);
    }

    [Fact]
    public void WithoutBehaviorScaleUpIsLimitedToDoubleOrFourAndToMinMax()
    {
        var normalizer = new ReplicaNormalizer(_clock, TimeSpan.Zero);
        Normalization up = normalizer.Normalize("a", null, 1, 20, 1, 10);
        Assert.Equal((4, true, "ScaleUpLimit"), (up.Replicas, up.Limited, up.LimitedReason));
        Assert.Equal((16, "ScaleUpLimit"), (normalizer.Normalize("b", null, 1, 20, 8, 19).Replicas, normalizer.Normalize("b2", null, 1, 20, 8, 19).LimitedReason));
        Normalization max = normalizer.Normalize("c", null, 1, 5, 4, 30);
        Assert.Equal((5, "TooManyReplicas", "the desired replica count is more than the maximum replica count"), (max.Replicas, max.LimitedReason, max.LimitedMessage));
        Normalization min = normalizer.Normalize("d", null, 2, 5, 4, 1);
        Assert.Equal((2, "TooFewReplicas"), (min.Replicas, min.LimitedReason));
    }

    [Fact]
    public void AValueTargetScalesTheReadyPodsByTheRatioAndScalesBackFromZero()
    {
        // TestReplicaCalcScaleUpCMObject-like: a ratio of 2 over the 2 Running Ready pods (the Pending and unready ones do not count).
        Assert.Equal(4, Calculator.ForUsageRatio(3, 2.0, [Pod("a"), Pod("b"), Pod("c", phase: "Pending"), Pod("d", ready: false)]));
        // Within the 10 % tolerance nothing moves; from zero replicas the ratio itself is the count.
        Assert.Equal(3, Calculator.ForUsageRatio(3, 1.09, [Pod("a")]));
        Assert.Equal(3, Calculator.ForUsageRatio(0, 2.3, []));
        Assert.Equal(0, Calculator.ForUsageRatio(0, 0, []));
        MetricsException none = Assert.Throws<MetricsException>(() => Calculator.ForUsageRatio(2, 3.0, []));
        Assert.Equal("unable to calculate ready pods: no pods returned by selector while calculating replica count", none.Message);
    }

    [Fact]
    public void AnAverageValueTargetOnATotalSharesItOverTheStatusReplicas()
    {
        // 30 over 3 replicas against 5 each: 6 replicas, 10 each now.
        Assert.Equal((6, 10000), Calculator.ForTotalPerPod(3, 30000, 5000));
        // 15.5 over 3 is within 10 % of 5 each: stays, the share rounded up in millis.
        Assert.Equal((3, 5167), Calculator.ForTotalPerPod(3, 15500, 5000));
        Assert.Equal((1, 125), Calculator.ForTotalPerPod(4, 500, 1000));
    }

    private static V2HorizontalPodAutoscalerBehavior Behavior(V2HPAScalingRules? up = null, V2HPAScalingRules? down = null) => new() { ScaleUp = up, ScaleDown = down };

    private static V2HPAScalingRules Rules(int? window, string? select, params (string Type, int Value, int Period)[] policies) => new()
    {
        StabilizationWindowSeconds = window,
        SelectPolicy = select,
        Policies = policies.Length == 0 ? null : policies.Select(p => new V2HPAScalingPolicy { Type = p.Type, Value = p.Value, PeriodSeconds = p.Period }).ToList(),
    };

    [Fact]
    public void ScaleUpPoliciesCountTheScaleEventsOfTheirPeriod()
    {
        var normalizer = new ReplicaNormalizer(_clock, TimeSpan.Zero);
        V2HorizontalPodAutoscalerBehavior behavior = Behavior(up: Rules(0, null, ("Pods", 1, 60)));
        Normalization first = normalizer.Normalize("h", behavior, 1, 10, 1, 5);
        Assert.Equal((2, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"), (first.Replicas, first.LimitedReason, first.LimitedMessage));
        normalizer.RecordScale("h", behavior, 1, 2);
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, normalizer.Normalize("h", behavior, 1, 10, 2, 5).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(3, normalizer.Normalize("h", behavior, 1, 10, 2, 5).Replicas);
    }

    [Fact]
    public void SelectPolicyPicksTheLargestOrSmallestChange()
    {
        (string, int, int)[] policies = [("Pods", 4, 15), ("Percent", 100, 15)];
        Assert.Equal(20, new ReplicaNormalizer(_clock, TimeSpan.Zero).Normalize("h", Behavior(up: Rules(0, "Max", policies)), 1, 100, 10, 50).Replicas);
        Assert.Equal(14, new ReplicaNormalizer(_clock, TimeSpan.Zero).Normalize("h", Behavior(up: Rules(0, "Min", policies)), 1, 100, 10, 50).Replicas);
        // The defaults: +4 pods or +100 % per 15 s, the larger.
        Assert.Equal(5, new ReplicaNormalizer(_clock, TimeSpan.Zero).Normalize("h", Behavior(), 1, 100, 1, 50).Replicas);
        Assert.Equal(10, new ReplicaNormalizer(_clock, TimeSpan.Zero).Normalize("h", Behavior(down: Rules(0, "Disabled")), 1, 100, 10, 1).Replicas);
    }

    [Fact]
    public void ScaleDownPercentPolicyAndWindow()
    {
        var normalizer = new ReplicaNormalizer(_clock, TimeSpan.FromMinutes(5));
        V2HorizontalPodAutoscalerBehavior behavior = Behavior(down: Rules(30, null, ("Percent", 50, 15)));
        Assert.Equal(10, normalizer.Normalize("h", behavior, 1, 100, 10, 10).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Normalization held = normalizer.Normalize("h", behavior, 1, 100, 10, 1);
        Assert.Equal((10, "ScaleDownStabilized"), (held.Replicas, held.AbleToScaleReason));
        _clock.Advance(TimeSpan.FromSeconds(25));
        Normalization down = normalizer.Normalize("h", behavior, 1, 100, 10, 1);
        Assert.Equal((5, true, "ScaleDownLimit"), (down.Replicas, down.Limited, down.LimitedReason));
        normalizer.RecordScale("h", behavior, 10, 5);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(5, normalizer.Normalize("h", behavior, 1, 100, 5, 1).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(2, normalizer.Normalize("h", behavior, 1, 100, 5, 1).Replicas);
    }

    [Fact]
    public void ScaleUpWindowTakesTheLowestRecentRecommendation()
    {
        var normalizer = new ReplicaNormalizer(_clock, TimeSpan.Zero);
        V2HorizontalPodAutoscalerBehavior behavior = Behavior(up: Rules(60, null));
        Assert.Equal(2, normalizer.Normalize("h", behavior, 1, 100, 2, 2).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(2, normalizer.Normalize("h", behavior, 1, 100, 2, 6).Replicas);
        _clock.Advance(TimeSpan.FromSeconds(41));
        Assert.Equal(6, normalizer.Normalize("h", behavior, 1, 100, 2, 6).Replicas);
    }
}
