using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers.RootCaPublisher;

/// <summary>
/// kube-controller-manager's root-ca-cert-publisher: a ConfigMap <c>kube-root-ca.crt</c> with the API server's CA
/// bundle (<c>ca.crt</c>) in every active namespace, put back when it is deleted or changed — what pods' projected
/// service account volumes mount to trust <c>kubernetes.default.svc</c>.
/// </summary>
public sealed class RootCaPublisherController : IController
{
    /// <summary>The ConfigMap's name.</summary>
    public const string ConfigMapName = "kube-root-ca.crt";

    private const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1ConfigMap> _configMaps;
    private readonly IKubernetes _client;
    private readonly string _bundle;
    private readonly WorkQueue<string> _queue;
    private readonly ILogger _logger;

    /// <summary>Creates the controller publishing <paramref name="bundle"/> (PEM).</summary>
    public RootCaPublisherController(SharedInformerFactory informers, IKubernetes client, string bundle, TimeProvider time, ILogger<RootCaPublisherController> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _namespaces = informers.Get<V1Namespace>();
        _configMaps = informers.Get<V1ConfigMap>();
        _client = client;
        _bundle = bundle;
        _queue = new WorkQueue<string>(time);
        _logger = logger;
        _namespaces.AddHandler(new ResourceEventHandler<V1Namespace>(ns => _queue.Add(ns.Metadata.Name)));
        _configMaps.AddHandler(new ResourceEventHandler<V1ConfigMap>(cm =>
        {
            if (cm.Metadata.Name == ConfigMapName)
            {
                _queue.Add(cm.Metadata.NamespaceProperty);
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
    public string Name => "root-ca-cert-publisher";

    /// <inheritdoc />
    public void Dispose() => _queue.Dispose();

    /// <inheritdoc />
    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        ControllerLoop.RunAsync(Name, _queue, workers, SyncAsync, _logger, cancellationToken);

    private async Task SyncAsync(string ns, CancellationToken cancellationToken)
    {
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
                await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
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
                await _client.CoreV1.ReplaceNamespacedConfigMapAsync(updated, ConfigMapName, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            // The cache is behind (it comes back through the informer), or the namespace is going away.
        }
    }
}
