using k8s.Models;
using Navarch.Api.Strategies.Core;

namespace Navarch.Api.Strategies.Batch;

/// <summary>batch/v1 Job. The selector and labels that tie pods to the job are generated from its uid.</summary>
internal static class JobStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Job> Create() => new()
    {
        HasStatus = true,
        Defaults = j =>
        {
            j.Spec ??= new V1JobSpec();
            j.Spec.Completions ??= j.Spec.Parallelism is null ? 1 : null;
            j.Spec.Parallelism ??= 1;
            j.Spec.BackoffLimit ??= 6;
            j.Spec.CompletionMode ??= "NonIndexed";
            j.Spec.Suspend ??= false;
            j.Spec.ManualSelector ??= null;
            j.Spec.PodReplacementPolicy ??= "TerminatingOrFailed";
            PodSpecDefaults.Apply(j.Spec.Template?.Spec);
        },
        OnCreate = GenerateSelector,
        Validation = JobValidation.Validate,
        UpdateValidation = JobValidation.ValidateUpdate,
        Fields = j => [new("status.successful", (j.Status?.Succeeded ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture))],
        Columns =
        [
            new("Status", "string", "", "Status of the job."),
            new("Completions", "string", "", "The desired number of successfully finished pods the job should be run with."),
            new("Duration", "string", "", "Time required to complete the job."),
            TableColumn.AgeColumn, PodTemplateColumns.Containers, PodTemplateColumns.Images, PodTemplateColumns.Selector,
        ],
        Cells = (j, now) =>
        [
            JobStatus(j),
            j.Spec?.Completions is { } c ? $"{j.Status?.Succeeded ?? 0}/{c}" : $"{j.Status?.Succeeded ?? 0}/1 of {j.Spec?.Parallelism ?? 1}",
            j.Status?.StartTime is { } start ? Age.Human((j.Status.CompletionTime is { } done ? new DateTimeOffset(DateTime.SpecifyKind(done, DateTimeKind.Utc)) : now) - new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc))) : "",
            Age.Of(j.Metadata.CreationTimestamp, now),
            .. PodTemplateColumns.Cells(j.Spec?.Template, j.Spec?.Selector),
        ],
    };

    /// <summary>Unless the selector is manual, the Job selects its pods by its uid, and its template carries those labels.</summary>
    private static void GenerateSelector(V1Job j)
    {
        if (j.Spec?.ManualSelector == true || j.Spec?.Template is null || j.Metadata.Uid is null)
        {
            return;
        }

        var labels = new Dictionary<string, string>
        {
            ["batch.kubernetes.io/controller-uid"] = j.Metadata.Uid,
            ["batch.kubernetes.io/job-name"] = j.Metadata.Name,
            ["controller-uid"] = j.Metadata.Uid,
            ["job-name"] = j.Metadata.Name,
        };
        j.Spec.Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["batch.kubernetes.io/controller-uid"] = j.Metadata.Uid } };
        j.Spec.Template.Metadata ??= new V1ObjectMeta();
        j.Spec.Template.Metadata.Labels ??= new Dictionary<string, string>();
        foreach ((string k, string v) in labels)
        {
            j.Spec.Template.Metadata.Labels[k] = v;
        }
    }

    private static string JobStatus(V1Job j)
    {
        foreach (V1JobCondition c in j.Status?.Conditions ?? [])
        {
            if (c.Status == "True" && c.Type is "Complete" or "Failed" or "Suspended" or "FailureTarget" or "SuccessCriteriaMet")
            {
                return c.Type;
            }
        }

        return "Running";
    }
}
