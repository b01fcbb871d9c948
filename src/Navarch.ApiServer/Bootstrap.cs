using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.ApiServer.Registry.Services;

namespace Navarch.ApiServer;

/// <summary>
/// What every cluster has from its first start: the system namespaces, the <c>kubernetes</c> Service, the system PriorityClasses and the default
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

        // kube-apiserver's built-in PriorityClasses, for the pods that must not be preempted by workloads.
        GenericStore priorityClasses = stores.For("scheduling.k8s.io", "v1", "priorityclasses");
        foreach ((string name, int value, string description) in new[]
        {
            ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."),
            ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
        })
        {
            await EnsureAsync(priorityClasses, new V1PriorityClass { Metadata = new V1ObjectMeta { Name = name }, Value = value, Description = description }, cancellationToken);
        }

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
