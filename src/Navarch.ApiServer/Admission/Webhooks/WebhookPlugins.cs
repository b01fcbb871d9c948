using Microsoft.Extensions.Logging;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// The webhook admission plugins over one configuration source and one client, and the ValidatingAdmissionPolicy plugin,
/// as the server composes them.
/// </summary>
internal sealed class WebhookPlugins : IDisposable
{
    private readonly WebhookClient _client;

    public WebhookPlugins(WatchCaches caches, ResourceCatalog catalog, ILoggerFactory loggerFactory)
    {
        _client = new WebhookClient(new ServiceResolver(caches, catalog));
        var source = new WebhookSource(caches, catalog);
        var dispatcher = new WebhookDispatcher(_client, new AdmissionSelectors(caches, catalog), catalog, loggerFactory.CreateLogger("Navarch.Admission.Webhooks"));
        Mutating = new MutatingAdmissionWebhook(source, dispatcher);
        Validating = new ValidatingAdmissionWebhook(source, dispatcher);
        Policies = new Admission.Policies.ValidatingAdmissionPolicyPlugin(caches, catalog, new AdmissionSelectors(caches, catalog));
    }

    /// <summary>The API server's webhook client (CRD conversion webhooks use it too).</summary>
    public WebhookClient Client => _client;

    /// <summary>ValidatingAdmissionPolicy: after the built-in validating plugins, before the validating webhooks.</summary>
    public IAdmissionPlugin Policies { get; }

    /// <summary>MutatingAdmissionWebhook: last of the mutating plugins.</summary>
    public IAdmissionPlugin Mutating { get; }

    /// <summary>ValidatingAdmissionWebhook: last of the validating plugins.</summary>
    public IAdmissionPlugin Validating { get; }

    public void Dispose() => _client.Dispose();
}
