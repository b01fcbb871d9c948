using k8s.Models;

namespace Navarch.Api.Strategies.AdmissionRegistration;

/// <summary>admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration.</summary>
internal static class ValidatingWebhookConfigurationStrategy
{
    /// <summary>The strategy: v1 defaults and the webhooks' validation.</summary>
    public static ResourceStrategy<V1ValidatingWebhookConfiguration> Create() => new()
    {
        Defaults = c =>
        {
            foreach (V1ValidatingWebhook h in c.Webhooks ?? [])
            {
                WebhookValidation.Default(
                    () => h.FailurePolicy, v => h.FailurePolicy = v,
                    () => h.MatchPolicy, v => h.MatchPolicy = v,
                    () => h.NamespaceSelector, v => h.NamespaceSelector = v,
                    () => h.ObjectSelector, v => h.ObjectSelector = v,
                    () => h.TimeoutSeconds, v => h.TimeoutSeconds = v,
                    h.ClientConfig,
                    h.Rules);
            }
        },
        Validation = c => WebhookValidation.ValidateAll((c.Webhooks ?? []).Select(h => new WebhookValidation.Fields(
            h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions)).ToList()),
        Columns = [new("Webhooks", "integer", "", "Webhooks is a list of webhooks and the affected resources and operations."), TableColumn.AgeColumn],
        Cells = (c, now) => [c.Webhooks?.Count ?? 0, Age.Of(c.Metadata.CreationTimestamp, now)],
    };
}
