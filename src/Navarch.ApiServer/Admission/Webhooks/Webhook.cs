using k8s.Models;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// One webhook of a Mutating- or ValidatingWebhookConfiguration, as the dispatchers see it (Kubernetes'
/// webhook.WebhookAccessor): the two API types share every field but <c>reinvocationPolicy</c>.
/// <see cref="Index"/> is its place among all webhooks of its kind, in configuration-name order.
/// </summary>
internal sealed record Webhook(
    string Name,
    string ConfigurationName,
    int Index,
    Admissionregistrationv1WebhookClientConfig ClientConfig,
    IList<V1RuleWithOperations> Rules,
    string FailurePolicy,
    string MatchPolicy,
    V1LabelSelector? NamespaceSelector,
    V1LabelSelector? ObjectSelector,
    string SideEffects,
    int TimeoutSeconds,
    IList<V1MatchCondition> MatchConditions,
    bool ReinvokeIfNeeded)
{
    /// <summary>The accessor of a mutating webhook.</summary>
    public static Webhook From(V1MutatingWebhook h, string configuration, int index) =>
        new(h.Name, configuration, index, h.ClientConfig, h.Rules ?? [], h.FailurePolicy ?? "Fail", h.MatchPolicy ?? "Equivalent", h.NamespaceSelector, h.ObjectSelector,
            h.SideEffects ?? "Unknown", h.TimeoutSeconds ?? 10, h.MatchConditions ?? [], h.ReinvocationPolicy == "IfNeeded");

    /// <summary>The accessor of a validating webhook.</summary>
    public static Webhook From(V1ValidatingWebhook h, string configuration, int index) =>
        new(h.Name, configuration, index, h.ClientConfig, h.Rules ?? [], h.FailurePolicy ?? "Fail", h.MatchPolicy ?? "Equivalent", h.NamespaceSelector, h.ObjectSelector,
            h.SideEffects ?? "Unknown", h.TimeoutSeconds ?? 10, h.MatchConditions ?? [], false);

    /// <summary>True when a dry-run request may be sent: the webhook says it has no side effects, or none on dry runs.</summary>
    public bool SupportsDryRun => SideEffects is "None" or "NoneOnDryRun";

    /// <summary>True when a failure to call it refuses the request.</summary>
    public bool FailClosed => FailurePolicy != "Ignore";
}
