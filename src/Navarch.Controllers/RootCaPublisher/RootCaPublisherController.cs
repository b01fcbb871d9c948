using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.RootCaPublisher;

/// <summary>
/// kube-controller-manager's root-ca-cert-publisher: a ConfigMap <c>kube-root-ca.crt</c> with the API server's CA
/// bundle (<c>ca.crt</c>) in every active namespace, put back when it is deleted or changed — what pods' projected
/// service account volumes mount to trust <c>kubernetes.default.svc</c>.
/// </summary>
public sealed class RootCaPublisherController : QueueController
{
    /// <summary>The ConfigMap's name.</summary>
    public const string ConfigMapName = "kube-root-ca.crt";

    private const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1ConfigMap> _configMaps;
    private readonly string _bundle;

    /// <summary>Creates the controller publishing <paramref name="bundle"/> (PEM).</summary>
    public RootCaPublisherController(ControllerContext context, string bundle)
        : base("root-ca-cert-publisher", context)
    {
        _namespaces = context.Informers.Get<V1Namespace>();
        _configMaps = context.Informers.Get<V1ConfigMap>();
        _bundle = bundle;
        _namespaces.AddHandler(new ResourceEventHandler<V1Namespace>(ns => Queue.Add(ns.Metadata.Name)));
        _configMaps.AddHandler(new ResourceEventHandler<V1ConfigMap>(cm =>
        {
            if (cm.Metadata.Name == ConfigMapName)
            {
                Queue.Add(cm.Metadata.NamespaceProperty);
            }
        }));
    }

    /// <summary>The CA bundle of a client configuration (PEM), or null when it trusts the system store.</summary>
    public static string? BundleOf(KubernetesClientConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.SslCaCerts is { Count: > 0 } certificates
            ? string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n"))
            : null;
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        string ns = key;
        V1Namespace? namespaceObj = _namespaces.Store.Get(ns);
        if (namespaceObj is null || namespaceObj.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        V1ConfigMap? current = _configMaps.Store.Get($"{ns}/{ConfigMapName}");
        var data = new Dictionary<string, string> { ["ca.crt"] = _bundle };
        try
        {
            if (current is null)
            {
                await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
                {
                    Metadata = new V1ObjectMeta { Name = ConfigMapName, Annotations = new Dictionary<string, string> { ["kubernetes.io/description"] = Description } },
                    Data = data,
                }, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else if (current.Data is null || current.Data.Count != 1 || !current.Data.TryGetValue("ca.crt", out string? published) || published != _bundle || current.BinaryData is { Count: > 0 })
            {
                V1ConfigMap updated = ModelCopies.Copy(current);
                updated.Data = data;
                updated.BinaryData = null;
                await Client.CoreV1.ReplaceNamespacedConfigMapAsync(updated, ConfigMapName, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            // The cache is behind (it comes back through the informer), or the namespace is going away.
        }
    }
}
