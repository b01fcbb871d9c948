using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Navarch.Proxy.Host;

/// <summary>
/// Reports the node's kernel network settings as the Node condition NetworkUnavailable (the condition network
/// plugins own, as flannel's "FlannelIsUp"): True when forwarding could not be turned on (pods on this node cannot
/// reach or be reached from other nodes, so the node lifecycle controller taints it network-unavailable), False
/// otherwise, the message naming any bridge setting that failed. Patched by type (strategic merge), so the kubelet's
/// own conditions are left as they are.
/// </summary>
public static partial class NetworkCondition
{
    /// <summary>The condition for the settings that failed.</summary>
    public static V1NodeCondition For(IReadOnlyCollection<string> failed, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(failed);
        bool noForwarding = failed.Contains("net.ipv4.ip_forward");
        return new V1NodeCondition
        {
            Type = "NetworkUnavailable",
            Status = noForwarding ? "True" : "False",
            Reason = failed.Count == 0 ? "KernelSettingsApplied" : noForwarding ? "KernelSettingsFailed" : "KernelSettingsIncomplete",
            Message = failed.Count == 0
                ? "ip_forward, br_netfilter and bridge-nf-call-iptables are set"
                : $"could not set {string.Join(", ", failed)}" + (noForwarding ? "" : "; Services reached from a pod on this node's bridge may not answer"),
            LastHeartbeatTime = now,
            LastTransitionTime = now,
        };
    }

    /// <summary>
    /// Patches the condition onto <paramref name="nodeName"/>'s status, retrying until the Node exists (a proxy may start
    /// before its kubelet registers) or <paramref name="cancellationToken"/> fires; gives up (with a warning) when the
    /// credentials may not.
    /// </summary>
    public static async Task ReportAsync(IKubernetes client, string nodeName, IReadOnlyCollection<string> failed, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(time);
        while (true)
        {
            try
            {
                V1Node node = await client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                V1NodeCondition condition = For(failed, time.GetUtcNow().UtcDateTime);
                if (node.Status?.Conditions?.FirstOrDefault(c => c.Type == condition.Type) is { } old && old.Status == condition.Status)
                {
                    condition.LastTransitionTime = old.LastTransitionTime;
                }

                string patch = KubernetesJson.Serialize(new { status = new { conditions = new[] { condition } } });
                await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
                // Credentials that may not write this Node's status will not gain the right by retrying.
                LogForbidden(logger, nodeName, e.Response.Content);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogRetry(logger, nodeName, e.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node}: the network condition cannot be reported with these credentials: {Reason}")]
    private static partial void LogForbidden(ILogger logger, string node, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node}: network condition not reported yet ({Reason}); retrying")]
    private static partial void LogRetry(ILogger logger, string node, string reason);
}
