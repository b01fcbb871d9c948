using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers.ServiceAccount;

/// <summary>Keeps a <c>default</c> ServiceAccount in every active namespace (kube-controller-manager's serviceaccount controller).</summary>
public sealed class ServiceAccountController : IController
{
    private const string DefaultName = "default";
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1ServiceAccount> _accounts;
    private readonly IKubernetes _client;
    private readonly WorkQueue<string> _queue;
    private readonly ILogger _logger;

    /// <summary>Creates the controller over the shared namespace and service-account informers.</summary>
    public ServiceAccountController(SharedInformerFactory informers, IKubernetes client, TimeProvider time, ILogger<ServiceAccountController> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _namespaces = informers.Get<V1Namespace>();
        _accounts = informers.Get<V1ServiceAccount>();
        _client = client;
        _queue = new WorkQueue<string>(time);
        _logger = logger;
        _namespaces.AddHandler(new ResourceEventHandler<V1Namespace>(ns => _queue.Add(ns.Metadata.Name)));
        _accounts.AddHandler(new ResourceEventHandler<V1ServiceAccount>(sa => _queue.Add(sa.Metadata.NamespaceProperty)));
    }

    /// <inheritdoc />
    public string Name => "serviceaccount";

    /// <inheritdoc />
    public void Dispose() => _queue.Dispose();

    /// <inheritdoc />
    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        ControllerLoop.RunAsync(Name, _queue, workers, SyncAsync, _logger, cancellationToken);

    private async Task SyncAsync(string ns, CancellationToken cancellationToken)
    {
        V1Namespace? namespaceObj = _namespaces.Store.Get(ns);
        if (namespaceObj is null || namespaceObj.Metadata.DeletionTimestamp is not null || _accounts.Store.Get($"{ns}/{DefaultName}") is not null)
        {
            return;
        }

        try
        {
            await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = DefaultName } }, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
        {
            // Already there (the cache is behind), or the namespace is going away.
        }
    }
}
