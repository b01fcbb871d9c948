using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.ApiServer.Registry.Services;

namespace Navarch.ApiServer;

/// <summary>
/// What every cluster has from its first start: the system namespaces, the <c>kubernetes</c> Service and the default
/// RBAC policy (reconciled at every start), created through the registry like any client's objects (strategy,
/// admission, allocation).
/// </summary>
internal static class Bootstrap
{
    public static async Task RunAsync(StoreRegistry stores, ServiceAllocator allocator, CancellationToken cancellationToken)
    {
        GenericStore namespaces = stores.For("", "v1", "namespaces");
        foreach (string name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            await EnsureAsync(namespaces, new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken);
        }

        await EnsureAsync(stores.For("", "v1", "services"), new V1Service
        {
            Metadata = new V1ObjectMeta
            {
                Name = "kubernetes",
                NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            Spec = new V1ServiceSpec
            {
                ClusterIP = allocator.First.ToString(),
                Ports = [new V1ServicePort { Name = "https", Port = 443, Protocol = "TCP", TargetPort = 6443 }],
            },
        }, cancellationToken);

        // The default RBAC policy exists whatever the authorization mode, as on Kubernetes, reconciled at every start.
        await Authorization.BootstrapPolicyReconciler.RunAsync(stores, cancellationToken);
    }

    private static async Task EnsureAsync(GenericStore store, k8s.IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken)
    {
        try
        {
            await store.CreateAsync(obj, dryRun: false, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Reason == "AlreadyExists")
        {
        }
    }
}
