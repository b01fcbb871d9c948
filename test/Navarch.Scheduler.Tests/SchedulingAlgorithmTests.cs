using k8s.Models;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Config;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.DefaultPreemption;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

[Trait("Category", "Unit")]
public sealed class SchedulingAlgorithmTests
{
    private static (Profile Profile, FrameworkHandle Handle) DefaultProfile(IEnumerable<NodeInfo> nodes, IReadOnlyList<V1PodDisruptionBudget>? pdbs = null)
    {
        var handle = new FrameworkHandle { Snapshot = Snapshot.From(nodes), DisruptionBudgets = () => pdbs ?? [] };
        return (ProfileBuilder.Build(new ProfileConfiguration(), 0, new PluginRegistry(), handle), handle);
    }

    [Theory]
    [InlineData(50, 50)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(1000, 420)]
    [InlineData(5000, 500)]
    [InlineData(10000, 500)]
    public void AdaptivePercentageOfNodesToScore(int nodes, int want) =>
        Assert.Equal(want, SchedulingAlgorithm.NumFeasibleNodesToFind(0, nodes));

    [Fact]
    public void FitErrorMessageInKubernetesShape()
    {
        NodeInfo[] nodes =
        [
            Info(Node("n1", taints: [new V1Taint { Key = "k", Value = "v", Effect = "NoSchedule" }])),
            Info(Node("n2", cpu: "1")),
            Info(Node("n3", cpu: "1")),
        ];
        (Profile profile, _) = DefaultProfile(nodes);
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, new CycleState(), Pod(cpu: "2"), Snapshot.From(nodes));
        Assert.Null(r.NodeName);
        Assert.Equal("0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.", r.FitMessage());
    }

    [Fact]
    public void PicksTheLeastAllocatedNode()
    {
        NodeInfo[] nodes = [Info(Node("busy"), Pod("e", "3")), Info(Node("idle"))];
        (Profile profile, _) = DefaultProfile(nodes);
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, new CycleState(), Pod(cpu: "500m"), Snapshot.From(nodes));
        Assert.Equal("idle", r.NodeName);
    }

    [Fact]
    public void ManyNodesStopOnceEnoughAreFeasible()
    {
        NodeInfo[] nodes = Enumerable.Range(0, 1000).Select(i => Info(Node($"n{i:D4}"))).ToArray();
        (Profile profile, _) = DefaultProfile(nodes);
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, new CycleState(), Pod(cpu: "100m"), Snapshot.From(nodes));
        Assert.NotNull(r.NodeName);
        Assert.Equal(420, r.FeasibleNodes);
        Assert.True(r.EvaluatedNodes < 1000);
    }

    [Fact]
    public void PreemptionPicksTheNodeWithTheLeastImportantVictims()
    {
        NodeInfo[] nodes =
        [
            Info(Node("n1", cpu: "2"), Pod("mid", "2", priority: 50)),
            Info(Node("n2", cpu: "2"), Pod("low-a", "1", priority: 10), Pod("low-b", "1", priority: 10)),
            Info(Node("n3", cpu: "2"), Pod("high", "2", priority: 1000)),
        ];
        (Profile profile, FrameworkHandle handle) = DefaultProfile(nodes);
        V1Pod pod = Pod("p", "1", priority: 100);
        var state = new CycleState();
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, state, pod, handle.Snapshot);
        Assert.Null(r.NodeName);
        var plugin = (DefaultPreemptionPlugin)profile.PostFilter[0];
        (PreemptionCandidate? best, _) = plugin.FindCandidate(state, pod, r.Failures);
        Assert.NotNull(best);
        Assert.Equal("n2", best.NodeName);
        PodInfo victim = Assert.Single(best.Victims);
        Assert.StartsWith("low-", victim.Pod.Metadata.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void PreemptionAvoidsBreakingDisruptionBudgets()
    {
        NodeInfo[] nodes =
        [
            Info(Node("n1", cpu: "1"), Pod("guarded", "1", labels: Labels("app=guarded"), priority: 10)),
            Info(Node("n2", cpu: "1"), Pod("free", "1", labels: Labels("app=free"), priority: 20)),
        ];
        var pdb = new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = "pdb", NamespaceProperty = "default" },
            Spec = new V1PodDisruptionBudgetSpec { Selector = new V1LabelSelector { MatchLabels = Labels("app=guarded") } },
            Status = new V1PodDisruptionBudgetStatus { DisruptionsAllowed = 0 },
        };
        (Profile profile, FrameworkHandle handle) = DefaultProfile(nodes, [pdb]);
        V1Pod pod = Pod("p", "1", priority: 100);
        var state = new CycleState();
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, state, pod, handle.Snapshot);
        (PreemptionCandidate? best, _) = ((DefaultPreemptionPlugin)profile.PostFilter[0]).FindCandidate(state, pod, r.Failures);
        Assert.Equal("n2", best?.NodeName);
    }

    [Fact]
    public void NoPreemptionAgainstUnresolvableFailures()
    {
        NodeInfo[] nodes = [Info(Node("n1", taints: [new V1Taint { Key = "k", Value = "v", Effect = "NoSchedule" }]), Pod("low", "1", priority: 0))];
        (Profile profile, FrameworkHandle handle) = DefaultProfile(nodes);
        V1Pod pod = Pod("p", "1", priority: 100);
        var state = new CycleState();
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, state, pod, handle.Snapshot);
        (PreemptionCandidate? best, string message) = ((DefaultPreemptionPlugin)profile.PostFilter[0]).FindCandidate(state, pod, r.Failures);
        Assert.Null(best);
        Assert.Equal("preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.", message);
    }

    [Theory]
    [InlineData(50, "n2")]   // the nominated pod outranks ours: n1's room is taken
    [InlineData(500, "n1")]  // ours outranks the nominated pod: it may take the room
    public void PodsNominatedByPreemptionHoldTheirRoom(int priority, string want)
    {
        NodeInfo[] nodes = [Info(Node("n1", cpu: "2")), Info(Node("n2", cpu: "2"), Pod("busy", "1500m"))];
        var nominator = new Nominator();
        V1Pod nominated = Pod("nominated", "2", priority: 100);
        nominated.Status = new V1PodStatus { NominatedNodeName = "n1" };
        nominator.Set(nominated, 100);
        var handle = new FrameworkHandle { Snapshot = Snapshot.From(nodes), Nominator = nominator };
        Profile profile = ProfileBuilder.Build(new ProfileConfiguration(), 0, new PluginRegistry(), handle);
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, new CycleState(), Pod("p", "500m", priority: priority), handle.Snapshot);
        Assert.Equal(want, r.NodeName);
    }

    [Fact]
    public void AffinityToANominatedPodDoesNotCountUntilItArrives()
    {
        // A higher-priority web pod is nominated to n1 (not running there yet). The incoming pod requires a web pod on
        // its host: the pass with the nominated pod passes, the pass without it does not — both must, so no node fits.
        NodeInfo[] nodes = [Info(Node("n1")), Info(Node("n2"))];
        var nominator = new Nominator();
        V1Pod nominated = Pod("web", "100m", labels: Labels("app=web"), priority: 100);
        nominated.Status = new V1PodStatus { NominatedNodeName = "n1" };
        nominator.Set(nominated, 100);
        var handle = new FrameworkHandle { Snapshot = Snapshot.From(nodes), Nominator = nominator };
        Profile profile = ProfileBuilder.Build(new ProfileConfiguration(), 0, new PluginRegistry(), handle);
        V1Pod pod = Pod("p", "100m", priority: 0);
        pod.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } }],
            },
        };
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, new CycleState(), pod, handle.Snapshot);
        Assert.Null(r.NodeName);
        Assert.Equal(2, r.Failures.Count);
    }

    [Fact]
    public void PreemptionSeesVictimsLeaveAntiAffinityCounts()
    {
        // The only node holds a low-priority db pod; the incoming pod refuses to share a host with db pods.
        NodeInfo[] nodes = [Info(Node("n1"), Pod("db", "100m", labels: Labels("app=db"), priority: 0))];
        (Profile profile, FrameworkHandle handle) = DefaultProfile(nodes);
        V1Pod pod = Pod("p", "100m", priority: 100);
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=db") } }],
            },
        };
        var state = new CycleState();
        ScheduleResult r = new SchedulingAlgorithm().Schedule(profile, state, pod, handle.Snapshot);
        Assert.Null(r.NodeName);
        (PreemptionCandidate? best, _) = ((DefaultPreemptionPlugin)profile.PostFilter[0]).FindCandidate(state, pod, r.Failures);
        Assert.Equal("db", Assert.Single(best!.Victims).Pod.Metadata.Name);
    }
}
