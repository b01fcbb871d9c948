using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client;

namespace Navarch.Server;

/// <summary>
/// Marks the server's own node <c>node-role.kubernetes.io/control-plane</c>, as k3s's server does once its agent has
/// registered: the kubelet may not set a node-role label itself (NodeRestriction refuses kubernetes.io labels that are
/// not the kubelet's, so that no node can steer workloads to itself), so the server does it with its own credentials.
/// </summary>
internal static partial class ControlPlaneLabels
{
    public const string ControlPlane = "node-role.kubernetes.io/control-plane";

    /// <summary>Adds the label to <paramref name="nodeName"/> unless it is there.</summary>
    public static async Task ApplyAsync(IKubernetes admin, string nodeName, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await StartupRetry.UntilDoneAsync(
                async ct =>
                {
                    V1Node node = await admin.CoreV1.ReadNodeAsync(nodeName, cancellationToken: ct);
                    if (node.Metadata.Labels?.TryGetValue(ControlPlane, out string? value) == true && value == "true")
                    {
                        return;
                    }

                    string patch = KubernetesJson.Serialize(new { metadata = new { labels = new Dictionary<string, string> { [ControlPlane] = "true" } } });
                    await admin.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), nodeName, cancellationToken: ct);
                },
                e => LogFailed(logger, nodeName, e.Message),
                cancellationToken);
        }
        catch (HttpOperationException e)
        {
            LogFailed(logger, nodeName, e.Response.Content);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not label node {Node} as the control plane: {Reason}")]
    private static partial void LogFailed(ILogger logger, string node, string reason);
}
