using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.ImageLocality;

/// <summary>
/// Prefers nodes that already hold the pod's images: the sum of each present image's size scaled by how widely it
/// is spread (so a ubiquitous image does not pull everything to one node), mapped from 23 MB..1000 MB per container
/// to 0..100.
/// </summary>
internal sealed class ImageLocalityPlugin(FrameworkHandle handle) : IScorePlugin
{
    public const string PluginName = "ImageLocality";
    private const long Mb = 1024 * 1024;
    private const long MinThreshold = 23 * Mb;
    private const long MaxContainerThreshold = 1000 * Mb;

    public string Name => PluginName;

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        int totalNodes = Math.Max(1, handle.Snapshot.Nodes.Count);
        long sum = 0;
        int containers = 0;
        foreach (V1Container c in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []))
        {
            containers++;
            if (string.IsNullOrEmpty(c.Image))
            {
                continue;
            }

            string image = NodeInfo.Normalize(c.Image);
            if (node.Images.TryGetValue(image, out long size))
            {
                int spread = handle.Snapshot.ImageNodeCounts.GetValueOrDefault(image, 1);
                sum += (long)(size * ((double)spread / totalNodes));
            }
        }

        long max = MaxContainerThreshold * Math.Max(1, containers);
        sum = Math.Clamp(sum, MinThreshold, max);
        return IScorePlugin.MaxNodeScore * (sum - MinThreshold) / (max - MinThreshold);
    }
}
