using k8s.Models;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Apps;

/// <summary>apps/v1 DaemonSet.</summary>
internal static class DaemonSetStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1DaemonSet> Create() => new()
    {
        HasStatus = true,
        Defaults = d =>
        {
            d.Spec ??= new V1DaemonSetSpec();
            d.Spec.UpdateStrategy ??= new V1DaemonSetUpdateStrategy();
            d.Spec.UpdateStrategy.Type ??= "RollingUpdate";
            if (d.Spec.UpdateStrategy.Type == "RollingUpdate")
            {
                d.Spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateDaemonSet();
                d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable ??= 1;
                d.Spec.UpdateStrategy.RollingUpdate.MaxSurge ??= 0;
            }

            d.Spec.RevisionHistoryLimit ??= 10;
            PodSpecDefaults.Apply(d.Spec.Template?.Spec);
        },
        Validation = d => WorkloadValidation.ValidateSpec(d.Spec?.Selector, d.Spec?.Template, null),
        UpdateValidation = (d, old) => LabelSelectorValidation.Immutable(d.Spec?.Selector, old.Spec?.Selector),
        Columns =
        [
            new("Desired", "integer", "", "The desired number of nodes that should be running the daemon pod."),
            new("Current", "integer", "", "The number of nodes that are running at least one daemon pod."),
            new("Ready", "integer", "", "The number of nodes that should be running the daemon pod and have one or more running and ready."),
            new("Up-to-date", "integer", "", "The total number of nodes that are running updated daemon pod."),
            new("Available", "integer", "", "The number of nodes that should be running the daemon pod and have one or more available."),
            new("Node Selector", "string", "", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            TableColumn.AgeColumn, PodTemplateColumns.Containers, PodTemplateColumns.Images, PodTemplateColumns.Selector,
        ],
        Cells = (d, now) =>
        [
            d.Status?.DesiredNumberScheduled ?? 0, d.Status?.CurrentNumberScheduled ?? 0, d.Status?.NumberReady ?? 0,
            d.Status?.UpdatedNumberScheduled ?? 0, d.Status?.NumberAvailable ?? 0,
            d.Spec?.Template?.Spec?.NodeSelector is { Count: > 0 } ns ? string.Join(",", ns.Select(kv => $"{kv.Key}={kv.Value}")) : "<none>",
            Age.Of(d.Metadata.CreationTimestamp, now),
            .. PodTemplateColumns.Cells(d.Spec?.Template, d.Spec?.Selector),
        ],
    };
}
