using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// Whether a pod update can change its verdict (pod-security-admission's isSignificantPodUpdate): of what a pod may
/// change after creation, only images, the seccomp annotations and ephemeral containers matter, so status-like
/// writes (labels, annotations, activeDeadlineSeconds, tolerations) are never refused by a policy set later.
/// </summary>
internal static class PodUpdates
{
    private const string PodSeccompAnnotation = "seccomp.security.alpha.kubernetes.io/pod";

    private const string ContainerSeccompAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/";

    public static bool IsSignificant(V1Pod pod, V1Pod old)
    {
        IDictionary<string, string> annotations = pod.Metadata.Annotations ?? new Dictionary<string, string>();
        IDictionary<string, string> oldAnnotations = old.Metadata.Annotations ?? new Dictionary<string, string>();
        if (Get(annotations, PodSeccompAnnotation) != Get(oldAnnotations, PodSeccompAnnotation))
        {
            return true;
        }

        IList<V1Container> containers = pod.Spec.Containers ?? [];
        IList<V1Container> oldContainers = old.Spec.Containers ?? [];
        IList<V1Container> init = pod.Spec.InitContainers ?? [];
        IList<V1Container> oldInit = old.Spec.InitContainers ?? [];
        if (containers.Count != oldContainers.Count || init.Count != oldInit.Count)
        {
            return true;
        }

        bool Changed(string name, string? image, string? oldImage) =>
            image != oldImage || Get(annotations, ContainerSeccompAnnotationPrefix + name) != Get(oldAnnotations, ContainerSeccompAnnotationPrefix + name);

        if (containers.Zip(oldContainers).Concat(init.Zip(oldInit)).Any(p => Changed(p.First.Name, p.First.Image, p.Second.Image)))
        {
            return true;
        }

        foreach (V1EphemeralContainer c in pod.Spec.EphemeralContainers ?? [])
        {
            V1EphemeralContainer? before = old.Spec.EphemeralContainers?.FirstOrDefault(o => o.Name == c.Name);
            if (before is null || Changed(c.Name, c.Image, before.Image))
            {
                return true;
            }
        }

        return false;
    }

    private static string? Get(IDictionary<string, string> annotations, string key) => annotations.TryGetValue(key, out string? value) ? value : null;
}
