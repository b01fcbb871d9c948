namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// A webhook could not be called or did not answer properly (Kubernetes' ErrCallingWebhook): the webhook's
/// failurePolicy decides whether the request fails (<c>Internal error occurred: failed calling webhook ...</c>) or goes on.
/// </summary>
internal sealed class WebhookCallException(string webhook, string reason, Exception? inner = null)
    : Exception($"failed calling webhook \"{webhook}\": {reason}", inner)
{
    /// <summary>The webhook's name.</summary>
    public string Webhook { get; } = webhook;
}
