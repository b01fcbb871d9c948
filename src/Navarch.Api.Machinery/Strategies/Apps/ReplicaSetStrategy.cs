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
        Columns = ReplicaSetStrategy.Columns,
        Cells = (r, now) => ReplicaSetStrategy.Cells(r.Spec?.Replicas, r.Status?.Replicas, r.Status?.ReadyReplicas, r.Metadata.CreationTimestamp, r.Spec?.Template, r.Spec?.Selector, now),
    };

    /// <summary>kubectl's columns of a ReplicaSet, which a ReplicationController shares.</summary>
    public static IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Desired", "integer", "", "Number of desired pods."),
        new("Current", "integer", "", "Number of actual replicas."),
        new("Ready", "integer", "", "Number of ready replicas."),
        TableColumn.AgeColumn, PodTemplateColumns.Containers, PodTemplateColumns.Images, PodTemplateColumns.Selector,
    ];

    /// <summary>The cells of <see cref="Columns"/>.</summary>
    public static IEnumerable<object?> Cells(int? desired, int? current, int? ready, DateTime? created, V1PodTemplateSpec? template, V1LabelSelector? selector, DateTimeOffset now) =>
    [
        desired ?? 0, current ?? 0, ready ?? 0,
        Age.Of(created, now),
        .. PodTemplateColumns.Cells(template, selector),
    ];
}
