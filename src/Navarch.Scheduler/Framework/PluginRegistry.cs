using Navarch.Scheduler.Plugins.DefaultBinder;
using Navarch.Scheduler.Plugins.DefaultPreemption;
using Navarch.Scheduler.Plugins.ImageLocality;
using Navarch.Scheduler.Plugins.InterPodAffinity;
using Navarch.Scheduler.Plugins.NodeAffinity;
using Navarch.Scheduler.Plugins.NodeName;
using Navarch.Scheduler.Plugins.NodePorts;
using Navarch.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Navarch.Scheduler.Plugins.NodeResourcesFit;
using Navarch.Scheduler.Plugins.NodeUnschedulable;
using Navarch.Scheduler.Plugins.PodTopologySpread;
using Navarch.Scheduler.Plugins.TaintToleration;
using Navarch.Scheduler.Plugins.NodeVolumeLimits;
using Navarch.Scheduler.Plugins.VolumeBinding;
using Navarch.Scheduler.Plugins.VolumeRestrictions;
using Navarch.Scheduler.Plugins.VolumeZone;

namespace Navarch.Scheduler.Framework;

/// <summary>Plugin name → factory: the one place plugins are registered (no reflection). Out-of-tree plugins add theirs.</summary>
internal sealed class PluginRegistry
{
    /// <summary>The default profile's plugins in order, with their default score weights (Kubernetes v1 defaults).</summary>
    public static readonly IReadOnlyList<(string Name, int Weight)> Defaults =
    [
        (NodeUnschedulablePlugin.PluginName, 0),
        (NodeNamePlugin.PluginName, 0),
        (TaintTolerationPlugin.PluginName, 3),
        (NodeAffinityPlugin.PluginName, 2),
        (NodePortsPlugin.PluginName, 0),
        (NodeResourcesFitPlugin.PluginName, 1),
        (VolumeRestrictionsPlugin.PluginName, 0),
        (NodeVolumeLimitsPlugin.PluginName, 0),
        (VolumeBindingPlugin.PluginName, 0),
        (VolumeZonePlugin.PluginName, 0),
        (PodTopologySpreadPlugin.PluginName, 2),
        (InterPodAffinityPlugin.PluginName, 2),
        (DefaultPreemptionPlugin.PluginName, 0),
        (BalancedAllocationPlugin.PluginName, 1),
        (ImageLocalityPlugin.PluginName, 1),
        (DefaultBinderPlugin.PluginName, 0),
    ];

    private readonly Dictionary<string, PluginFactory> _factories = new(StringComparer.Ordinal)
    {
        [NodeUnschedulablePlugin.PluginName] = (_, _) => new NodeUnschedulablePlugin(),
        [NodeNamePlugin.PluginName] = (_, _) => new NodeNamePlugin(),
        [TaintTolerationPlugin.PluginName] = (_, _) => new TaintTolerationPlugin(),
        [NodeAffinityPlugin.PluginName] = (_, _) => new NodeAffinityPlugin(),
        [NodePortsPlugin.PluginName] = (_, _) => new NodePortsPlugin(),
        [NodeResourcesFitPlugin.PluginName] = (args, _) => NodeResourcesFitPlugin.Create(args),
        [VolumeRestrictionsPlugin.PluginName] = (_, h) => new VolumeRestrictionsPlugin(h),
        [NodeVolumeLimitsPlugin.PluginName] = (_, h) => new NodeVolumeLimitsPlugin(h),
        [VolumeBindingPlugin.PluginName] = (_, h) => new VolumeBindingPlugin(h),
        [VolumeZonePlugin.PluginName] = (_, h) => new VolumeZonePlugin(h),
        [PodTopologySpreadPlugin.PluginName] = (_, h) => new PodTopologySpreadPlugin(h.DefaultSpreadSelector),
        [InterPodAffinityPlugin.PluginName] = (_, h) => new InterPodAffinityPlugin(h.NamespaceLabels),
        [DefaultPreemptionPlugin.PluginName] = (_, h) => new DefaultPreemptionPlugin(h),
        [BalancedAllocationPlugin.PluginName] = (_, _) => new BalancedAllocationPlugin(),
        [ImageLocalityPlugin.PluginName] = (_, h) => new ImageLocalityPlugin(h),
        [DefaultBinderPlugin.PluginName] = (_, h) => new DefaultBinderPlugin(h),
    };

    public PluginFactory? Get(string name) => _factories.GetValueOrDefault(name);

    public void Register(string name, PluginFactory factory) => _factories[name] = factory;
}
