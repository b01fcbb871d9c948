using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.ServiceAccount;

/// <summary>Keeps a <c>default</c> ServiceAccount in every active namespace (kube-controller-manager's serviceaccount controller).</summary>
public sealed class ServiceAccountController : QueueController
{
    private const string DefaultName = "default";
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1ServiceAccount> _accounts;

    /// <summary>Creates the controller over the shared namespace and service-account informers.</summary>
    public ServiceAccountController(ControllerContext context)
        : base("serviceaccount", context)
    {
        _namespaces = context.Informers.Get<V1Namespace>();
        _accounts = context.Informers.Get<V1ServiceAccount>();
        _namespaces.AddHandler(new ResourceEventHandler<V1Namespace>(ns => Queue.Add(ns.Metadata.Name)));
        _accounts.AddHandler(new ResourceEventHandler<V1ServiceAccount>(sa => Queue.Add(sa.Metadata.NamespaceProperty)));
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        string ns = key;
        V1Namespace? namespaceObj = _namespaces.Store.Get(ns);
        if (namespaceObj is null || namespaceObj.Metadata.DeletionTimestamp is not null || _accounts.Store.Get($"{ns}/{DefaultName}") is not null)
        {
            return;
        }

        try
        {
            await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = DefaultName } }, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
        {
            // Already there (the cache is behind), or the namespace is going away.
        }
    }
}
