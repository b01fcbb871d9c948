using k8s.Models;

namespace Navarch.Controllers.Job;

/// <summary>A Job's <c>podFailurePolicy</c>: the first rule that matches a failed pod decides what its failure means.</summary>
internal static class PodFailurePolicies
{
    /// <summary>
    /// The action (FailJob, Ignore, Count, FailIndex) of the first rule matching <paramref name="pod"/>, with Kubernetes'
    /// message for it; a null action when no rule matches (the failure counts).
    /// </summary>
    public static (string? Action, string Message) Match(V1Job job, V1Pod pod)
    {
        IList<V1PodFailurePolicyRule>? rules = job.Spec?.PodFailurePolicy?.Rules;
        if (rules is null || pod.Status is null)
        {
            return (null, "");
        }

        string podName = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        for (int i = 0; i < rules.Count; i++)
        {
            V1PodFailurePolicyRule rule = rules[i];
            if (rule.OnExitCodes is { } requirement)
            {
                foreach (V1ContainerStatus container in (pod.Status.InitContainerStatuses ?? []).Concat(pod.Status.ContainerStatuses ?? []))
                {
                    // Exit code 0 is success whatever the rule says.
                    if (container.State?.Terminated is not { ExitCode: not 0 } terminated
                        || (requirement.ContainerName is { } name && name != container.Name))
                    {
                        continue;
                    }

                    bool listed = requirement.Values?.Contains(terminated.ExitCode) == true;
                    if (requirement.OperatorProperty == "In" ? listed : !listed)
                    {
                        return (rule.Action, $"Container {container.Name} for pod {podName} failed with exit code {terminated.ExitCode} matching {rule.Action} rule at index {i}");
                    }
                }
            }
            else if (rule.OnPodConditions is { } patterns)
            {
                foreach (V1PodFailurePolicyOnPodConditionsPattern pattern in patterns)
                {
                    string wanted = string.IsNullOrEmpty(pattern.Status) ? "True" : pattern.Status;
                    if (pod.Status.Conditions?.Any(c => c.Type == pattern.Type && c.Status == wanted) == true)
                    {
                        return (rule.Action, $"Pod {podName} has condition {pattern.Type} matching {rule.Action} rule at index {i}");
                    }
                }
            }
        }

        return (null, "");
    }
}
