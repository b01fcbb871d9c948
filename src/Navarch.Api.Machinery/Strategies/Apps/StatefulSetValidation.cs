using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Apps;

/// <summary>Kubernetes' <c>ValidateStatefulSetUpdate</c>.</summary>
internal static class StatefulSetValidation
{
    /// <summary>Besides the selector, only these spec fields may change.</summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1StatefulSet set, V1StatefulSet old)
    {
        foreach (FieldError error in LabelSelectorValidation.Immutable(set.Spec?.Selector, old.Spec?.Selector))
        {
            yield return error;
        }

        if (set.Spec is null || old.Spec is null)
        {
            yield break;
        }

        V1StatefulSetSpec rest = KubernetesSerialization.DeepCopy(set.Spec);
        rest.Replicas = old.Spec.Replicas;
        rest.Ordinals = old.Spec.Ordinals;
        rest.Template = old.Spec.Template;
        rest.UpdateStrategy = old.Spec.UpdateStrategy;
        rest.RevisionHistoryLimit = old.Spec.RevisionHistoryLimit;
        rest.PersistentVolumeClaimRetentionPolicy = old.Spec.PersistentVolumeClaimRetentionPolicy;
        rest.MinReadySeconds = old.Spec.MinReadySeconds;
        rest.Selector = old.Spec.Selector;
        if (!KubernetesSerialization.JsonEquals(rest, old.Spec))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec", null, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
    }
}
