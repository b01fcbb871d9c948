using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Node.</summary>
internal static class NodeStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Node> Create() => new()
    {
        HasStatus = true,
        Validation = NodeValidation.Validate,
        Fields = n => [new("spec.unschedulable", (n.Spec?.Unschedulable ?? false) ? "true" : "false")],
        Columns =
        [
            new("Status", "string", "", "The status of the node"),
            new("Roles", "string", "", "The roles of the node"),
            TableColumn.AgeColumn,
            new("Version", "string", "", "Kubelet Version reported by the node."),
            new("Internal-IP", "string", "", "List of addresses reachable to the node.", 1),
            new("External-IP", "string", "", "List of addresses reachable to the node.", 1),
            new("OS-Image", "string", "", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 12 (bookworm)).", 1),
            new("Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r'.", 1),
            new("Container-Runtime", "string", "", "Container Runtime Version reported by the node through runtime remote API.", 1),
        ],
        Cells = (n, now) =>
        [
            NodeStatus(n),
            NodeRoles(n),
            Age.Of(n.Metadata.CreationTimestamp, now),
            n.Status?.NodeInfo?.KubeletVersion ?? "",
            n.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address ?? "<none>",
            n.Status?.Addresses?.FirstOrDefault(a => a.Type == "ExternalIP")?.Address ?? "<none>",
            n.Status?.NodeInfo?.OsImage ?? "<unknown>",
            n.Status?.NodeInfo?.KernelVersion ?? "<unknown>",
            n.Status?.NodeInfo?.ContainerRuntimeVersion ?? "<unknown>",
        ],
    };

    private static string NodeStatus(V1Node n)
    {
        V1NodeCondition? ready = n.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        string status = ready?.Status switch { "True" => "Ready", "False" => "NotReady", _ => ready is null ? "Unknown" : "NotReady" };
        return n.Spec?.Unschedulable == true ? status + ",SchedulingDisabled" : status;
    }

    private static string NodeRoles(V1Node n)
    {
        const string prefix = "node-role.kubernetes.io/";
        var roles = (n.Metadata.Labels ?? new Dictionary<string, string>()).Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.Length > prefix.Length)
            .Select(k => k[prefix.Length..]).Order(StringComparer.Ordinal).ToList();
        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }
}
