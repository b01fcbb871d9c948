using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Namespace.</summary>
internal static class NamespaceStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Namespace> Create() => new()
    {
        HasStatus = true,
        NameRule = NameRule.Label,
        Defaults = n =>
        {
            n.Spec ??= new V1NamespaceSpec();
            n.Spec.Finalizers ??= ["kubernetes"];
            n.Status ??= new V1NamespaceStatus();
            n.Status.Phase ??= "Active";
            n.Metadata.Labels ??= new Dictionary<string, string>();
            n.Metadata.Labels["kubernetes.io/metadata.name"] = n.Metadata.Name;
        },
        Fields = n => [new("status.phase", n.Status?.Phase ?? "")],
        Columns = [new("Status", "string", "", "The status of the namespace"), TableColumn.AgeColumn],
        Cells = (n, now) => [n.Status?.Phase ?? "Active", Age.Of(n.Metadata.CreationTimestamp, now)],
    };
}
