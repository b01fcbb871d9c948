using Navarch.Scheduler.Config;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.NodeResourcesFit;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

[Trait("Category", "Unit")]
public sealed class ConfigurationTests
{
    private const string Yaml = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - schedulerName: default-scheduler
        - schedulerName: bin-packing
          plugins:
            score:
              disabled:
              - name: NodeResourcesBalancedAllocation
              enabled:
              - name: NodeResourcesFit
                weight: 5
            postFilter:
              disabled:
              - name: "*"
          pluginConfig:
          - name: NodeResourcesFit
            args:
              scoringStrategy:
                type: MostAllocated
                resources:
                - name: cpu
                  weight: 1
        """;

    [Fact]
    public void ProfilesAndPluginChanges()
    {
        SchedulerConfiguration config = ConfigurationLoader.Parse(Yaml);
        Assert.Equal(["default-scheduler", "bin-packing"], config.Profiles.Select(p => p.SchedulerName));
        var registry = new PluginRegistry();
        Profile defaults = ProfileBuilder.Build(config.Profiles[0], 0, registry, new FrameworkHandle());
        Assert.Equal(["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone", "PodTopologySpread", "InterPodAffinity"], defaults.Filter.Select(p => p.Name));
        Assert.Equal(["VolumeBinding"], defaults.PreBind.Select(p => p.Name));
        Assert.Equal(
            ["TaintToleration:3", "NodeAffinity:2", "NodeResourcesFit:1", "PodTopologySpread:2", "InterPodAffinity:2", "NodeResourcesBalancedAllocation:1", "ImageLocality:1"],
            defaults.Score.Select(s => $"{s.Plugin.Name}:{s.Weight}"));
        Assert.Single(defaults.PostFilter);

        Profile packing = ProfileBuilder.Build(config.Profiles[1], 0, registry, new FrameworkHandle());
        Assert.Empty(packing.PostFilter);
        Assert.DoesNotContain(packing.Score, s => s.Plugin.Name == "NodeResourcesBalancedAllocation");
        ScorePluginEntry fit = packing.Score.Single(s => s.Plugin.Name == "NodeResourcesFit");
        Assert.Equal(5, fit.Weight);

        // MostAllocated prefers the busier node.
        var busy = Info(Node("busy"), Pod("e", "2"));
        var idle = Info(Node("idle"));
        var pod = Pod("p", "1");
        Assert.True(fit.Plugin.Score(new CycleState(), pod, busy) > fit.Plugin.Score(new CycleState(), pod, idle));
        Assert.IsType<NodeResourcesFitPlugin>(fit.Plugin);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Pod\n", "expected kind KubeSchedulerConfiguration")]
    [InlineData("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: a\n- schedulerName: a\n", "duplicate profile")]
    [InlineData("profiles: [", "invalid scheduler configuration")]
    public void InvalidConfigurations(string yaml, string message) =>
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => ConfigurationLoader.Parse(yaml)).Message);

    [Fact]
    public void UnknownPluginIsRejected()
    {
        SchedulerConfiguration config = ConfigurationLoader.Parse("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- plugins:\n    filter:\n      enabled:\n      - name: Nope\n");
        Assert.Throws<InvalidDataException>(() => ProfileBuilder.Build(config.Profiles[0], 0, new PluginRegistry(), new FrameworkHandle()));
    }
}
