using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.NodeIpam;

/// <summary>
/// kube-controller-manager's node IPAM with the range allocator: every Node gets a spec.podCIDR (and podCIDRs) carved
/// from the cluster CIDR, never one another node holds — the allocation is rebuilt from the nodes' own specs before
/// the first one is handed out — and a deleted node's subnet goes back to the pool. When the range is exhausted the
/// node gets a CIDRNotAvailable event and waits until a subnet is released.
/// </summary>
public sealed class NodeIpamController : QueueController
{
    private readonly Informer<V1Node> _nodes;
    private readonly string _clusterCidr;
    private readonly CidrSet _cidrs;
    private EventRecorder? _recorder;

    /// <summary>
    /// Creates the controller over the shared node informer, allocating subnets of the manager's
    /// <see cref="ControllerManagerOptions.ClusterCidr"/> sized <see cref="ControllerManagerOptions.NodeCidrMaskSize"/>.
    /// </summary>
    public NodeIpamController(ControllerContext context)
        : base("nodeipam", context)
    {
        _nodes = context.Informers.Get<V1Node>();
        _clusterCidr = context.Options.ClusterCidr;
        _cidrs = new CidrSet(_clusterCidr, context.Options.NodeCidrMaskSize);
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(Changed, (node, _) => Deleted(node)));
    }

    /// <inheritdoc />
    public override async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        // Every subnet a node already holds is taken before any is handed out.
        await _nodes.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        foreach (V1Node node in _nodes.Store.List())
        {
            Occupy(node);
        }

        _recorder = new EventRecorder(Client, "cidrAllocator", time: Time, logger: Logger);
        await using (_recorder.ConfigureAwait(false))
        {
            await base.RunAsync(1, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Occupy(V1Node node)
    {
        foreach (string cidr in CidrsOf(node))
        {
            if (!_cidrs.Occupy(cidr))
            {
                Log.Foreign(Logger, node.Metadata.Name, cidr, _clusterCidr);
            }
        }
    }

    private static IEnumerable<string> CidrsOf(V1Node node) =>
        (node.Spec?.PodCIDRs ?? []).Append(node.Spec?.PodCIDR).OfType<string>().Where(c => c.Length > 0).Distinct(StringComparer.Ordinal);

    private void Changed(V1Node node)
    {
        if (string.IsNullOrEmpty(node.Spec?.PodCIDR))
        {
            Queue.Add(node.Metadata.Name);
        }
        else
        {
            Occupy(node);
        }
    }

    private void Deleted(V1Node node)
    {
        foreach (string cidr in CidrsOf(node))
        {
            _cidrs.Release(cidr);
        }

        // A subnet came free: nodes left without one may have it.
        foreach (V1Node waiting in _nodes.Store.List().Where(n => string.IsNullOrEmpty(n.Spec?.PodCIDR)))
        {
            Queue.Add(waiting.Metadata.Name);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        string name = key;
        V1Node? node = _nodes.Store.Get(name);
        if (node is null || node.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        if (!string.IsNullOrEmpty(node.Spec?.PodCIDR))
        {
            Occupy(node);
            return;
        }

        if (_cidrs.Allocate() is not { } cidr)
        {
            Log.Exhausted(Logger, _clusterCidr, name);
            _recorder?.Event(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = node.Metadata }, "Normal", "CIDRNotAvailable", $"Node {name} status is now: CIDRNotAvailable");
            return;
        }

        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = node.Metadata.ResourceVersion },
            ["spec"] = new JsonObject { ["podCIDR"] = cidr, ["podCIDRs"] = new JsonArray(cidr) },
        };
        try
        {
            await Client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken);
            Log.Allocated(Logger, name, cidr);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            _cidrs.Release(cidr);
        }
        catch
        {
            // A conflict (the cache is behind) or a failure: give the subnet back and retry from a fresh cache.
            _cidrs.Release(cidr);
            throw;
        }
    }
}
