using k8s.Models;
using Navarch.Api.Strategies.Core;

namespace Navarch.Api.Strategies.Apps;

/// <summary>apps/v1 StatefulSet.</summary>
internal static class StatefulSetStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1StatefulSet> Create() => new()
    {
        HasStatus = true,
        Defaults = s =>
        {
            s.Spec ??= new V1StatefulSetSpec();
            s.Spec.Replicas ??= 1;
            s.Spec.PodManagementPolicy ??= "OrderedReady";
            s.Spec.UpdateStrategy ??= new V1StatefulSetUpdateStrategy();
            s.Spec.UpdateStrategy.Type ??= "RollingUpdate";
            if (s.Spec.UpdateStrategy.Type == "RollingUpdate")
            {
                s.Spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateStatefulSetStrategy();
                s.Spec.UpdateStrategy.RollingUpdate.Partition ??= 0;
            }

            s.Spec.RevisionHistoryLimit ??= 10;
            s.Spec.PersistentVolumeClaimRetentionPolicy ??= new V1StatefulSetPersistentVolumeClaimRetentionPolicy();
            s.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted ??= "Retain";
            s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled ??= "Retain";
            PodSpecDefaults.Apply(s.Spec.Template?.Spec);
        },
        Validation = s => WorkloadValidation.ValidateSpec(s.Spec?.Selector, s.Spec?.Template, s.Spec?.Replicas),
        UpdateValidation = StatefulSetValidation.ValidateUpdate,
        Columns =
        [
            new("Ready", "string", "", "Number of the pod with ready state"),
            TableColumn.AgeColumn, PodTemplateColumns.Containers, PodTemplateColumns.Images,
        ],
        Cells = (s, now) =>
        [
            $"{s.Status?.ReadyReplicas ?? 0}/{s.Spec?.Replicas ?? 0}",
            Age.Of(s.Metadata.CreationTimestamp, now),
            .. PodTemplateColumns.Cells(s.Spec?.Template, null).Take(2),
        ],
    };
}
