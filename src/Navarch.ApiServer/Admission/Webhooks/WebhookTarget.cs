using k8s.Models;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// Where the API server calls a webhook and whom it trusts there (apiserver's webhook ClientConfig): a URL or a
/// Service, and the caBundle. Admission webhooks and CRD conversion webhooks name it in types of their own.
/// </summary>
internal sealed record WebhookTarget(string? Url, WebhookTarget.ServiceReference? Service, byte[]? CaBundle)
{
    /// <summary>An admission webhook's clientConfig.</summary>
    public static WebhookTarget From(Admissionregistrationv1WebhookClientConfig config) =>
        new(config.Url, config.Service is { } s ? new ServiceReference(s.NamespaceProperty, s.Name, s.Path, s.Port) : null, config.CaBundle);

    /// <summary>A CRD conversion webhook's clientConfig.</summary>
    public static WebhookTarget From(Apiextensionsv1WebhookClientConfig config) =>
        new(config.Url, config.Service is { } s ? new ServiceReference(s.NamespaceProperty, s.Name, s.Path, s.Port) : null, config.CaBundle);

    /// <summary>The Service a webhook is reached through (port 443 unless given).</summary>
    internal sealed record ServiceReference(string Namespace, string Name, string? Path, int? Port);
}
