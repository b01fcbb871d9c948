using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The kubelet's nodeinfomanager: what the node's registered CSI drivers tell about it goes into the API — the
/// <c>CSINode</c> object of the node's name (owned by the Node; one entry per driver with its node ID, topology keys
/// and <c>allocatable.count</c> from max_volumes_per_node), the Node annotation
/// <c>csi.volume.kubernetes.io/nodeid</c> (a JSON map driver → node ID) and the Node labels of the driver's
/// accessible topology. Every write is read-modify-write, retried on a conflict.
/// </summary>
internal sealed class CsiNodeInfo(IKubernetes client, string nodeName)
{
    /// <summary>The Node annotation with each registered driver's node ID.</summary>
    public const string NodeIdAnnotation = "csi.volume.kubernetes.io/nodeid";

    private const int Attempts = 5;

    /// <summary>Creates the node's CSINode (no drivers) if there is none, as the kubelet does at start.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) =>
        UpdateCsiNodeAsync(_ => false, cancellationToken);

    /// <summary>Records driver <paramref name="driver"/> on the Node and in the CSINode.</summary>
    public async Task InstallDriverAsync(string driver, string nodeId, long maxVolumes, IReadOnlyDictionary<string, string> topology, CancellationToken cancellationToken)
    {
        await UpdateNodeAsync(
            node =>
            {
                Dictionary<string, string> ids = NodeIds(node);
                bool changed = !ids.TryGetValue(driver, out string? old) || old != nodeId;
                ids[driver] = nodeId;
                var labels = new Dictionary<string, string>(node.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
                foreach ((string key, string value) in topology)
                {
                    changed |= !labels.TryGetValue(key, out string? was) || was != value;
                    labels[key] = value;
                }

                return changed ? (ids, labels) : null;
            },
            cancellationToken).ConfigureAwait(false);

        await UpdateCsiNodeAsync(
            csiNode =>
            {
                var entry = new V1CSINodeDriver
                {
                    Name = driver,
                    NodeID = nodeId,
                    TopologyKeys = topology.Count == 0 ? null : [.. topology.Keys.Order(StringComparer.Ordinal)],
                    Allocatable = maxVolumes > 0 ? new V1VolumeNodeResources { Count = (int)Math.Min(maxVolumes, int.MaxValue) } : null,
                };
                csiNode.Spec.Drivers ??= [];
                V1CSINodeDriver? old = csiNode.Spec.Drivers.FirstOrDefault(d => d.Name == driver);
                if (old is not null && old.NodeID == entry.NodeID && old.Allocatable?.Count == entry.Allocatable?.Count
                    && (old.TopologyKeys ?? []).SequenceEqual(entry.TopologyKeys ?? []))
                {
                    return false;
                }

                csiNode.Spec.Drivers = [.. csiNode.Spec.Drivers.Where(d => d.Name != driver), entry];
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes driver <paramref name="driver"/> off the CSINode and the Node annotation.</summary>
    public async Task UninstallDriverAsync(string driver, CancellationToken cancellationToken)
    {
        await UpdateCsiNodeAsync(
            csiNode =>
            {
                if (csiNode.Spec.Drivers?.Any(d => d.Name == driver) != true)
                {
                    return false;
                }

                csiNode.Spec.Drivers = [.. csiNode.Spec.Drivers.Where(d => d.Name != driver)];
                return true;
            },
            cancellationToken).ConfigureAwait(false);

        await UpdateNodeAsync(
            node =>
            {
                Dictionary<string, string> ids = NodeIds(node);
                return ids.Remove(driver) ? (ids, null) : null;
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, string> NodeIds(V1Node node)
    {
        if (node.Metadata.Annotations?.TryGetValue(NodeIdAnnotation, out string? json) == true && !string.IsNullOrEmpty(json))
        {
            try
            {
                return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
            }
            catch (JsonException)
            {
                // A damaged annotation is rewritten from what is registered now.
            }
        }

        return new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>Patches the Node's nodeid annotation (and labels) with its resourceVersion as precondition.</summary>
    private async Task UpdateNodeAsync(Func<V1Node, (Dictionary<string, string> Ids, Dictionary<string, string>? Labels)?> change, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            V1Node node = await client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (change(node) is not { } update)
            {
                return;
            }

            var metadata = new Dictionary<string, object?>
            {
                ["resourceVersion"] = node.Metadata.ResourceVersion,
                ["annotations"] = new Dictionary<string, string?> { [NodeIdAnnotation] = update.Ids.Count == 0 ? null : JsonSerializer.Serialize(new SortedDictionary<string, string>(update.Ids, StringComparer.Ordinal)) },
            };
            if (update.Labels is not null)
            {
                metadata["labels"] = update.Labels;
            }

            try
            {
                string patch = JsonSerializer.Serialize(new Dictionary<string, object> { ["metadata"] = metadata });
                await client.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < Attempts)
            {
            }
        }
    }

    /// <summary>Creates the CSINode if missing, then applies <paramref name="change"/> (true when it changed something) and replaces it.</summary>
    private async Task UpdateCsiNodeAsync(Func<V1CSINode, bool> change, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                V1CSINode? csiNode = await ReadCsiNodeAsync(cancellationToken).ConfigureAwait(false);
                if (csiNode is null)
                {
                    V1Node node = await client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                    csiNode = new V1CSINode
                    {
                        Metadata = new V1ObjectMeta
                        {
                            Name = nodeName,
                            OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = nodeName, Uid = node.Metadata.Uid }],
                        },
                        Spec = new V1CSINodeSpec { Drivers = [] },
                    };
                    change(csiNode);
                    await client.StorageV1.CreateCSINodeAsync(csiNode, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (change(csiNode))
                {
                    await client.StorageV1.ReplaceCSINodeAsync(csiNode, nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict && attempt < Attempts)
            {
            }
        }
    }

    private async Task<V1CSINode?> ReadCsiNodeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await client.StorageV1.ReadCSINodeAsync(nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
