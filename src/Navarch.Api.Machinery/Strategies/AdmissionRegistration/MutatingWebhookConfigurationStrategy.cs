using k8s.Models;

namespace Navarch.Api.Strategies.AdmissionRegistration;

/// <summary>admissionregistration.k8s.io/v1 MutatingWebhookConfiguration.</summary>
internal static class MutatingWebhookConfigurationStrategy
{
    /// <summary>The strategy: v1 defaults (reinvocationPolicy Never beside the shared ones) and the webhooks' validation.</summary>
    public static ResourceStrategy<V1MutatingWebhookConfiguration> Create() => new()
    {
        Defaults = c =>
        {
            foreach (V1MutatingWebhook h in c.Webhooks ?? [])
            {
                WebhookValidation.Default(
                    () => h.FailurePolicy, v => h.FailurePolicy = v,
                    () => h.MatchPolicy, v => h.MatchPolicy = v,
                    () => h.NamespaceSelector, v => h.NamespaceSelector = v,
                    () => h.ObjectSelector, v => h.ObjectSelector = v,
                    () => h.TimeoutSeconds, v => h.TimeoutSeconds = v,
                    h.ClientConfig,
                    h.Rules);
                h.ReinvocationPolicy ??= "Never";
            }
        },
        Validation = c => WebhookValidation.ValidateAll(Fields(c)).Concat(ReinvocationPolicies(c)),
        Columns = [new("Webhooks", "integer", "", "Webhooks is a list of webhooks and the affected resources and operations."), TableColumn.AgeColumn],
        Cells = (c, now) => [c.Webhooks?.Count ?? 0, Age.Of(c.Metadata.CreationTimestamp, now)],
    };

    private static List<WebhookValidation.Fields> Fields(V1MutatingWebhookConfiguration c) =>
        (c.Webhooks ?? []).Select(h => new WebhookValidation.Fields(
            h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions)).ToList();

    private static IEnumerable<FieldError> ReinvocationPolicies(V1MutatingWebhookConfiguration c)
    {
        var supported = new Validation.SupportedValues("IfNeeded", "Never");
        for (int i = 0; i < (c.Webhooks?.Count ?? 0); i++)
        {
            if (c.Webhooks![i].ReinvocationPolicy is { } policy && supported.Check($"webhooks[{i}].reinvocationPolicy", policy) is { } error)
            {
                yield return error;
            }
        }
    }
}
