using k8s.Models;
using Navarch.Api.Strategies.Apps;

namespace Navarch.Api.Strategies.Core;

/// <summary>
/// core/v1 ReplicationController: a ReplicaSet with an equality selector (a label map). Its selector and labels
/// default to the template's labels (SetDefaults_ReplicationController), and it is validated as a ReplicaSet is.
/// </summary>
internal static class ReplicationControllerStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ReplicationController> Create() => new()
    {
        HasStatus = true,
        Defaults = rc =>
        {
            rc.Spec ??= new V1ReplicationControllerSpec();
            rc.Spec.Replicas ??= 1;
            if (rc.Spec.Template?.Metadata?.Labels is { Count: > 0 } templateLabels)
            {
                if (rc.Spec.Selector is not { Count: > 0 })
                {
                    rc.Spec.Selector = new Dictionary<string, string>(templateLabels);
                }

                if (rc.Metadata.Labels is not { Count: > 0 })
                {
                    rc.Metadata.Labels = new Dictionary<string, string>(templateLabels);
                }
            }

            PodSpecDefaults.Apply(rc.Spec.Template?.Spec);
        },
        Validation = rc => WorkloadValidation.ValidateSpec(Selector(rc.Spec?.Selector), rc.Spec?.Template, rc.Spec?.Replicas),
        Fields = rc => [new("status.replicas", (rc.Status?.Replicas ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture))],
        Columns = ReplicaSetStrategy.Columns,
        Cells = (rc, now) => ReplicaSetStrategy.Cells(rc.Spec?.Replicas, rc.Status?.Replicas, rc.Status?.ReadyReplicas, rc.Metadata.CreationTimestamp, rc.Spec?.Template, Selector(rc.Spec?.Selector), now),
    };

    /// <summary>The label map as the equivalent label selector; null (a required selector) when empty.</summary>
    public static V1LabelSelector? Selector(IDictionary<string, string>? selector) =>
        selector is { Count: > 0 } ? new V1LabelSelector { MatchLabels = new Dictionary<string, string>(selector) } : null;
}
