using k8s.Models;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Apps;

/// <summary>apps/v1 ReplicaSet.</summary>
internal static class ReplicaSetStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ReplicaSet> Create() => new()
    {
        HasStatus = true,
        Defaults = r =>
        {
            r.Spec ??= new V1ReplicaSetSpec();
            r.Spec.Replicas ??= 1;
            PodSpecDefaults.Apply(r.Spec.Template?.Spec);
        },
        Validation = r => WorkloadValidation.ValidateSpec(r.Spec?.Selector, r.Spec?.Template, r.Spec?.Replicas),
        UpdateValidation = (r, old) => LabelSelectorValidation.Immutable(r.Spec?.Selector, old.Spec?.Selector),
        Fields = r => [new("status.replicas", (r.Status?.Replicas ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture))],
        Columns =
        [
            new("Desired", "integer", "", "Number of desired pods."),
            new("Current", "integer", "", "Number of actual replicas."),
            new("Ready", "integer", "", "Number of ready replicas."),
            TableColumn.AgeColumn, PodTemplateColumns.Containers, PodTemplateColumns.Images, PodTemplateColumns.Selector,
        ],
        Cells = (r, now) =>
        [
            r.Spec?.Replicas ?? 0, r.Status?.Replicas ?? 0, r.Status?.ReadyReplicas ?? 0,
            Age.Of(r.Metadata.CreationTimestamp, now),
            .. PodTemplateColumns.Cells(r.Spec?.Template, r.Spec?.Selector),
        ],
    };
}
