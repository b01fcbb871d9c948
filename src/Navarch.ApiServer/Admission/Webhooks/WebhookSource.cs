using k8s.Models;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// The webhooks of every Mutating- and ValidatingWebhookConfiguration, from the watch caches (kube-apiserver's
/// configuration managers over informers): configurations in name order, webhooks in their order inside each, rebuilt
/// only when a configuration changed.
/// </summary>
internal sealed class WebhookSource(WatchCaches caches, ResourceCatalog catalog)
{
    private const string Group = "admissionregistration.k8s.io";

    private readonly DecodedLister<V1MutatingWebhookConfiguration> _mutating = new(caches, catalog.Find(Group, "v1", "mutatingwebhookconfigurations")!);
    private readonly DecodedLister<V1ValidatingWebhookConfiguration> _validating = new(caches, catalog.Find(Group, "v1", "validatingwebhookconfigurations")!);
    private readonly Lock _lock = new();
    private (object? Items, IReadOnlyList<Webhook> Hooks) _mutatingHooks = (null, []);
    private (object? Items, IReadOnlyList<Webhook> Hooks) _validatingHooks = (null, []);

    /// <summary>The mutating webhooks, in the order they are called.</summary>
    public async Task<IReadOnlyList<Webhook>> MutatingAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<V1MutatingWebhookConfiguration> configurations = await _mutating.ListAsync(null, cancellationToken);
        return Flatten(configurations, ref _mutatingHooks, c => c.Metadata.Name, c => (c.Webhooks ?? []).Select(h => (Func<int, Webhook>)(i => Webhook.From(h, c.Metadata.Name, i))));
    }

    /// <summary>The validating webhooks.</summary>
    public async Task<IReadOnlyList<Webhook>> ValidatingAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<V1ValidatingWebhookConfiguration> configurations = await _validating.ListAsync(null, cancellationToken);
        return Flatten(configurations, ref _validatingHooks, c => c.Metadata.Name, c => (c.Webhooks ?? []).Select(h => (Func<int, Webhook>)(i => Webhook.From(h, c.Metadata.Name, i))));
    }

    private IReadOnlyList<Webhook> Flatten<T>(IReadOnlyList<T> configurations, ref (object? Items, IReadOnlyList<Webhook> Hooks) memo, Func<T, string> name, Func<T, IEnumerable<Func<int, Webhook>>> hooks)
    {
        lock (_lock)
        {
            // The lister hands out the same list until the cache moves.
            if (ReferenceEquals(memo.Items, configurations))
            {
                return memo.Hooks;
            }

            var flat = configurations.OrderBy(name, StringComparer.Ordinal).SelectMany(hooks).Select((make, i) => make(i)).ToList();
            memo = (configurations, flat);
            return flat;
        }
    }
}
