using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Client;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// client-go's scale client: reads and writes the autoscaling/v1 Scale of whatever an HPA targets through its
/// <c>/scale</c> subresource, finding the resource of the reference's kind through discovery (Deployments, ReplicaSets,
/// StatefulSets, ReplicationControllers, custom resources with a scale subresource).
/// </summary>
internal sealed class ScaleClient(RawApi api)
{
    private readonly DiscoveryResources _discovery = new(api);

    /// <summary>The Scale of <paramref name="target"/> and the path it was read from.</summary>
    public async Task<(V1Scale Scale, string Path)> GetAsync(string ns, V2CrossVersionObjectReference target, CancellationToken cancellationToken)
    {
        string path = await PathOfAsync(ns, target, cancellationToken).ConfigureAwait(false);
        using JsonDocument document = await api.GetJsonAsync(path, cancellationToken).ConfigureAwait(false);
        return (KubernetesJson.Deserialize<V1Scale>(document.RootElement.GetRawText()), path);
    }

    /// <summary>Writes <paramref name="scale"/> back to <paramref name="path"/>.</summary>
    public async Task UpdateAsync(string path, V1Scale scale, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await api.SendAsync(HttpMethod.Put, path, KubernetesJson.Serialize(scale), cancellationToken: cancellationToken).ConfigureAwait(false);
        await RawApi.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> PathOfAsync(string ns, V2CrossVersionObjectReference target, CancellationToken cancellationToken)
    {
        DiscoveryResources.Mapping mapping = await _discovery.MapAsync(target.ApiVersion, target.Kind, cancellationToken).ConfigureAwait(false);
        return mapping.HasScale
            ? $"{mapping.Prefix}/namespaces/{ns}/{mapping.Resource}/{target.Name}/scale"
            : throw new InvalidOperationException($"{target.Kind} does not implement the scale subresource");
    }
}
