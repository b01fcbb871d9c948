using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>SetDefaults_PodSpec</c> and <c>SetDefaults_Container</c>: for pods and every pod template.</summary>
internal static class PodSpecDefaults
{
    /// <summary>Fills the defaults clients see.</summary>
    public static void Apply(V1PodSpec? spec)
    {
        if (spec is null)
        {
            return;
        }

        spec.RestartPolicy ??= "Always";
        spec.DnsPolicy ??= "ClusterFirst";
        spec.TerminationGracePeriodSeconds ??= 30;
        spec.SchedulerName ??= "default-scheduler";
        spec.SecurityContext ??= new V1PodSecurityContext();
        spec.EnableServiceLinks ??= true;
        // spec.priority and spec.preemptionPolicy are the Priority admission plugin's to set, from the PriorityClass.
        // The ServiceAccount admission plugin's default, mirrored into the deprecated field as Kubernetes does.
        spec.ServiceAccountName ??= spec.ServiceAccount ?? "default";
        spec.ServiceAccount ??= spec.ServiceAccountName;

        foreach (V1Container c in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            c.ImagePullPolicy ??= ImagePullPolicyFor(c.Image);
            c.TerminationMessagePath ??= "/dev/termination-log";
            c.TerminationMessagePolicy ??= "File";
            foreach (V1ContainerPort port in c.Ports ?? [])
            {
                port.Protocol ??= "TCP";
            }

            if (c.Resources?.Limits is { Count: > 0 } limits)
            {
                c.Resources.Requests ??= new Dictionary<string, ResourceQuantity>();
                foreach ((string name, ResourceQuantity q) in limits)
                {
                    c.Resources.Requests.TryAdd(name, q);
                }
            }
        }
    }

    /// <summary>Always for an untagged or :latest image, else IfNotPresent (digests count as tagged).</summary>
    public static string ImagePullPolicyFor(string? image)
    {
        if (string.IsNullOrEmpty(image) || image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        int slash = image.LastIndexOf('/');
        string last = image[(slash + 1)..];
        int colon = last.LastIndexOf(':');
        return colon < 0 || last[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }
}
