using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// The pod metadata and spec a workload stamps out (pod-security-admission's DefaultPodSpecExtractor): these get
/// warnings and audit annotations for their template, never a refusal — their pods are judged when created.
/// </summary>
internal static class PodTemplates
{
    /// <summary>True when <paramref name="obj"/> is a kind that carries a pod template.</summary>
    public static bool HasPodTemplate(IKubernetesObject<V1ObjectMeta>? obj) =>
        obj is V1PodTemplate or V1ReplicationController or V1ReplicaSet or V1Deployment or V1StatefulSet or V1DaemonSet or V1Job or V1CronJob;

    /// <summary>The template's metadata and spec, or null when the object has none (yet).</summary>
    public static (V1ObjectMeta Metadata, V1PodSpec Spec)? Extract(IKubernetesObject<V1ObjectMeta> obj)
    {
        V1PodTemplateSpec? template = obj switch
        {
            V1PodTemplate t => t.Template,
            V1ReplicationController rc => rc.Spec?.Template,
            V1ReplicaSet rs => rs.Spec?.Template,
            V1Deployment d => d.Spec?.Template,
            V1StatefulSet s => s.Spec?.Template,
            V1DaemonSet ds => ds.Spec?.Template,
            V1Job j => j.Spec?.Template,
            V1CronJob cj => cj.Spec?.JobTemplate?.Spec?.Template,
            _ => null,
        };
        return template?.Spec is null ? null : (template.Metadata ?? new V1ObjectMeta(), template.Spec);
    }
}
