using System.Globalization;
using k8s.Models;

namespace Navarch.Api.Policy;

/// <summary>
/// What the disruption controller and the eviction subresource share about a PodDisruptionBudget
/// (k8s.io/component-helpers/apps/poddisruptionbudget and policy's constants): the <c>DisruptionAllowed</c> condition,
/// kept in step with <c>disruptionsAllowed</c>, and how a pod counts as healthy.
/// </summary>
public static class DisruptionBudgets
{
    /// <summary>The condition type.</summary>
    public const string DisruptionAllowedCondition = "DisruptionAllowed";

    /// <summary>The reason when the controller could not compute the budget (and set disruptionsAllowed to 0).</summary>
    public const string SyncFailedReason = "SyncFailed";

    /// <summary>The reason when disruptions are allowed.</summary>
    public const string SufficientPodsReason = "SufficientPods";

    /// <summary>The reason when no disruption is allowed.</summary>
    public const string InsufficientPodsReason = "InsufficientPods";

    /// <summary>The status cause type of an eviction refused by a budget.</summary>
    public const string DisruptionBudgetCause = "DisruptionBudget";

    /// <summary>unhealthyPodEvictionPolicy AlwaysAllow: a pod that is not ready may always be evicted.</summary>
    public const string AlwaysAllow = "AlwaysAllow";

    /// <summary>
    /// How long an eviction's entry in <c>disruptedPods</c> keeps its pod out of the healthy count while the pod is not
    /// yet being deleted (the controller's DeletionTimeout).
    /// </summary>
    public static readonly TimeSpan DeletionTimeout = TimeSpan.FromMinutes(2);

    /// <summary>UpdateDisruptionAllowedCondition: SufficientPods when disruptions are allowed, InsufficientPods otherwise.</summary>
    public static void UpdateDisruptionAllowedCondition(V1PodDisruptionBudget pdb, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pdb);
        V1PodDisruptionBudgetStatus status = pdb.Status;
        bool allowed = status.DisruptionsAllowed > 0;
        SetCondition(status, allowed ? "True" : "False", allowed ? SufficientPodsReason : InsufficientPodsReason, "", now);
    }

    /// <summary>ConditionsAreUpToDate: the condition agrees with disruptionsAllowed and the status is of the current generation.</summary>
    public static bool ConditionsAreUpToDate(V1PodDisruptionBudget pdb)
    {
        ArgumentNullException.ThrowIfNull(pdb);
        V1Condition? condition = pdb.Status?.Conditions?.FirstOrDefault(c => c.Type == DisruptionAllowedCondition);
        if (condition is null || (pdb.Status!.ObservedGeneration ?? 0) != (pdb.Metadata.Generation ?? 0))
        {
            return false;
        }

        return pdb.Status.DisruptionsAllowed > 0
            ? condition.Status == "True" && condition.Reason == SufficientPodsReason
            : condition.Status == "False" && condition.Reason == InsufficientPodsReason;
    }

    /// <summary>
    /// meta.SetStatusCondition for the DisruptionAllowed condition: the transition time moves only when the status
    /// changes; reason, message and observedGeneration follow.
    /// </summary>
    public static void SetCondition(V1PodDisruptionBudgetStatus status, string conditionStatus, string reason, string message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        status.Conditions ??= [];
        V1Condition? existing = status.Conditions.FirstOrDefault(c => c.Type == DisruptionAllowedCondition);
        if (existing is null)
        {
            existing = new V1Condition { Type = DisruptionAllowedCondition, LastTransitionTime = Seconds(now) };
            status.Conditions.Add(existing);
        }
        else if (existing.Status != conditionStatus)
        {
            existing.LastTransitionTime = Seconds(now);
        }

        existing.Status = conditionStatus;
        existing.Reason = reason;
        existing.Message = message;
        existing.ObservedGeneration = status.ObservedGeneration;
    }

    /// <summary>podutil.IsPodReady: the Ready condition is True.</summary>
    public static bool IsPodReady(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
    }

    /// <summary>
    /// intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of <paramref name="total"/>, rounded up or down;
    /// null for a value that is neither (Kubernetes' "invalid value" error).
    /// </summary>
    public static int? Scaled(IntOrString value, int total, bool roundUp)
    {
        ArgumentNullException.ThrowIfNull(value);
        string text = value.Value ?? "";
        if (text.EndsWith('%'))
        {
            if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int percent))
            {
                return null;
            }

            long scaled = (long)percent * total;
            return (int)(roundUp ? Math.Ceiling(scaled / 100.0) : Math.Floor(scaled / 100.0));
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number) ? number : null;
    }

    /// <summary>Whether the value is a percentage (intstr.String) rather than a count.</summary>
    public static bool IsPercent(IntOrString value) => value?.Value?.EndsWith('%') == true;

    private static DateTime Seconds(DateTimeOffset now) => new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
