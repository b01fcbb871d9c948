using k8s.Models;
using Navarch.Api;
using Navarch.Api.Policy;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>The answers of the eviction subresource when a budget stands in the way, worded as Kubernetes words them.</summary>
internal static class EvictionErrors
{
    private const string Violation = "Cannot evict pod as it would violate the pod's disruption budget.";

    /// <summary>The budget allows no disruption now (checkAndDecrement's 429).</summary>
    public static StatusException BudgetExhausted(V1PodDisruptionBudget pdb) =>
        TooManyRequests(0, $"The disruption budget {pdb.Metadata.Name} needs {pdb.Status?.DesiredHealthy ?? 0} healthy pods and has {pdb.Status?.CurrentHealthy ?? 0} currently");

    /// <summary>The controller has not seen the budget's latest generation yet, or the pod changed under the eviction (createTooManyRequestsError).</summary>
    public static StatusException StillProcessing(string pdbName) =>
        TooManyRequests(10, $"The disruption budget {pdbName} is still being processed by the server.");

    /// <summary>More than one budget selects the pod: the eviction subresource does not say which one to honour.</summary>
    public static V1Status MultipleBudgets() => new()
    {
        ApiVersion = "v1",
        Kind = "Status",
        Metadata = new V1ListMeta(),
        Status = "Failure",
        Message = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
        Code = 500,
    };

    /// <summary>A budget whose status would let evictions through that its controller has not accounted for.</summary>
    public static StatusException Forbidden(string pdbName, string reason) =>
        ApiErrors.Forbidden("poddisruptionbudget.policy", pdbName, reason);

    private static StatusException TooManyRequests(int retryAfterSeconds, string cause)
    {
        StatusException error = ApiErrors.TooManyRequests(Violation);
        error.Status.Details = new V1StatusDetails
        {
            RetryAfterSeconds = retryAfterSeconds == 0 ? null : retryAfterSeconds,
            Causes = [new V1StatusCause { Reason = DisruptionBudgets.DisruptionBudgetCause, Message = cause }],
        };
        return error;
    }
}
