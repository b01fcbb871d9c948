using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.E2E.Tests.Operator;

/// <summary>
/// A real operator, as people write them against KubernetesClient: it installs its CRD, watches its Pools, keeps one
/// owned Deployment per Pool at the Pool's replicas, and reports status through the status subresource.
/// </summary>
public sealed class PoolOperator(IKubernetes client) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>The CRD: status and scale subresources, printer columns, a default and a CEL rule.</summary>
    public static V1CustomResourceDefinition Definition() => new()
    {
        Metadata = new V1ObjectMeta { Name = $"{Pool.Plural}.{Pool.Group}" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = Pool.Group,
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = Pool.Plural, Kind = "Pool", ShortNames = ["pl"], Categories = ["all"] },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = Pool.Version,
                    Served = true,
                    Storage = true,
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps
                        {
                            Type = "object",
                            Description = "A Pool runs a number of replicas of an image.",
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["spec"] = new()
                                {
                                    Type = "object",
                                    Description = "The desired pool.",
                                    Required = ["replicas"],
                                    XKubernetesValidations = [new V1ValidationRule { Rule = "self.replicas <= 10", Message = "a pool has at most 10 replicas" }],
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["replicas"] = new() { Type = "integer", Minimum = 0, Description = "How many copies of the image run." },
                                        ["image"] = new() { Type = "string", DefaultProperty = "busybox:1.35", Description = "The image each replica runs." },
                                    },
                                },
                                ["status"] = new()
                                {
                                    Type = "object",
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["replicas"] = new() { Type = "integer" },
                                        ["selector"] = new() { Type = "string" },
                                        ["observedGeneration"] = new() { Type = "integer", Format = "int64" },
                                    },
                                },
                            },
                        },
                    },
                    Subresources = new V1CustomResourceSubresources
                    {
                        Status = new object(),
                        Scale = new V1CustomResourceSubresourceScale { SpecReplicasPath = ".spec.replicas", StatusReplicasPath = ".status.replicas", LabelSelectorPath = ".status.selector" },
                    },
                    AdditionalPrinterColumns =
                    [
                        new V1CustomResourceColumnDefinition { Name = "Replicas", Type = "integer", JsonPath = ".spec.replicas" },
                        new V1CustomResourceColumnDefinition { Name = "Current", Type = "integer", JsonPath = ".status.replicas" },
                        new V1CustomResourceColumnDefinition { Name = "Image", Type = "string", JsonPath = ".spec.image" },
                        new V1CustomResourceColumnDefinition { Name = "Age", Type = "date", JsonPath = ".metadata.creationTimestamp" },
                    ],
                },
            ],
        },
    };

    /// <summary>Installs the CRD, waits until it is established, and starts watching Pools in <paramref name="ns"/>.</summary>
    public async Task StartAsync(string ns, CancellationToken cancellationToken)
    {
        try
        {
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(Definition(), cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }

        while (true)
        {
            V1CustomResourceDefinition crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(Definition().Metadata.Name, cancellationToken: cancellationToken);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
            {
                break;
            }

            await Task.Delay(100, cancellationToken);
        }

        _loop = Task.Run(() => RunAsync(ns, _stop.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(string ns, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach ((WatchEventType type, object item) in client.CustomObjects.WatchListNamespacedCustomObjectAsync(Pool.Group, Pool.Version, ns, Pool.Plural, cancellationToken: cancellationToken))
                {
                    Pool pool = KubernetesJson.Deserialize<Pool>(((JsonElement)item).GetRawText());
                    if (type is WatchEventType.Added or WatchEventType.Modified && pool.Metadata.DeletionTimestamp is null)
                    {
                        await ReconcileAsync(pool, cancellationToken);
                    }
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>One owned Deployment at the Pool's replicas, and the Pool's status.</summary>
    private async Task ReconcileAsync(Pool pool, CancellationToken cancellationToken)
    {
        string ns = pool.Metadata.NamespaceProperty, name = "pool-" + pool.Metadata.Name;
        var labels = new Dictionary<string, string> { ["pool"] = pool.Metadata.Name };
        V1Deployment? deployment = null;
        try
        {
            deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }

        if (deployment is null)
        {
            await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    Labels = labels,
                    OwnerReferences = [new V1OwnerReference { ApiVersion = pool.ApiVersion, Kind = pool.Kind, Name = pool.Metadata.Name, Uid = pool.Metadata.Uid, Controller = true, BlockOwnerDeletion = true }],
                },
                Spec = new V1DeploymentSpec
                {
                    Replicas = pool.Spec.Replicas,
                    Selector = new V1LabelSelector { MatchLabels = labels },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = labels },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = pool.Spec.Image ?? "busybox:1.35", Command = ["sleep", "3600"] }] },
                    },
                },
            }, ns, cancellationToken: cancellationToken);
        }
        else if (deployment.Spec.Replicas != pool.Spec.Replicas)
        {
            await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(new { spec = new { replicas = pool.Spec.Replicas } }, V1Patch.PatchType.MergePatch), name, ns, cancellationToken: cancellationToken);
        }

        if (pool.Status?.Replicas != pool.Spec.Replicas || pool.Status.ObservedGeneration != pool.Metadata.Generation)
        {
            var status = new { status = new PoolStatus { Replicas = pool.Spec.Replicas, Selector = "pool=" + pool.Metadata.Name, ObservedGeneration = pool.Metadata.Generation ?? 0 } };
            await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(JsonSerializer.Serialize(status), V1Patch.PatchType.MergePatch), Pool.Group, Pool.Version, ns, Pool.Plural, pool.Metadata.Name, cancellationToken: cancellationToken);
        }
    }
}
