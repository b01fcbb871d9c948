using k8s.Models;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Apps;

/// <summary>apps/v1 Deployment.</summary>
internal static class DeploymentStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Deployment> Create() => new()
    {
        HasStatus = true,
        Defaults = d =>
        {
            d.Spec ??= new V1DeploymentSpec();
            d.Spec.Replicas ??= 1;
            d.Spec.Strategy ??= new V1DeploymentStrategy();
            d.Spec.Strategy.Type ??= "RollingUpdate";
            if (d.Spec.Strategy.Type == "RollingUpdate")
            {
                d.Spec.Strategy.RollingUpdate ??= new V1RollingUpdateDeployment();
                d.Spec.Strategy.RollingUpdate.MaxSurge ??= "25%";
                d.Spec.Strategy.RollingUpdate.MaxUnavailable ??= "25%";
            }

            d.Spec.RevisionHistoryLimit ??= 10;
            d.Spec.ProgressDeadlineSeconds ??= 600;
            PodSpecDefaults.Apply(d.Spec.Template?.Spec);
        },
        Validation = d => WorkloadValidation.ValidateSpec(d.Spec?.Selector, d.Spec?.Template, d.Spec?.Replicas),
        UpdateValidation = (d, old) => LabelSelectorValidation.Immutable(d.Spec?.Selector, old.Spec?.Selector),
        Columns =
        [
            new("Ready", "string", "", "Number of the pod with ready state"),
            new("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            new("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            TableColumn.AgeColumn, PodTemplateColumns.Containers, PodTemplateColumns.Images, PodTemplateColumns.Selector,
        ],
        Cells = (d, now) =>
        [
            $"{d.Status?.ReadyReplicas ?? 0}/{d.Spec?.Replicas ?? 0}",
            d.Status?.UpdatedReplicas ?? 0,
            d.Status?.AvailableReplicas ?? 0,
            Age.Of(d.Metadata.CreationTimestamp, now),
            .. PodTemplateColumns.Cells(d.Spec?.Template, d.Spec?.Selector),
        ],
    };
}
