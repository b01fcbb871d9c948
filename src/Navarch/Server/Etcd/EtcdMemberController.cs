using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Client.Queue;
using Navarch.Controllers;

namespace Navarch.Server.Etcd;

/// <summary>
/// k3s's managed-etcd node controllers (pkg/etcd metadata and member controllers), run by every server with an embedded
/// etcd: the server's own Node is annotated with its etcd member's name and address, labelled
/// <c>node-role.kubernetes.io/etcd</c> and given a finalizer; when a server's Node is deleted (<c>kubectl delete node</c>),
/// another server removes that member from the etcd cluster, then the finalizer, so the Node goes only once its member
/// has. A server never removes its own member (its peers do); the last member of a cluster cannot be removed, so its
/// finalizer is simply dropped.
/// </summary>
internal sealed partial class EtcdMemberController : IDisposable
{
    /// <summary>The etcd member name of the server on this Node (k3s: <c>etcd.k3s.cattle.io/node-name</c>).</summary>
    public const string MemberNameAnnotation = "etcd.navarch.io/node-name";

    /// <summary>The address its member advertises (k3s: <c>etcd.k3s.cattle.io/node-address</c>).</summary>
    public const string MemberAddressAnnotation = "etcd.navarch.io/node-address";

    /// <summary>The label of nodes that run an etcd member.</summary>
    public const string EtcdRoleLabel = "node-role.kubernetes.io/etcd";

    /// <summary>Holds a server's Node until its etcd member is removed.</summary>
    public const string Finalizer = "etcd.navarch.io/member-removal";

    private readonly Kubernetes _client;
    private readonly EmbeddedEtcd _etcd;
    private readonly string _nodeName;
    private readonly string _address;
    private readonly ILogger _logger;
    private readonly Informer<V1Node> _nodes;
    private readonly WorkQueue<string> _queue;

    // A Node deleted without our finalizer (forced, or while no server watched): the member its last state named.
    private readonly ConcurrentDictionary<string, string> _deletedMembers = new(StringComparer.Ordinal);

    public EtcdMemberController(Kubernetes client, EmbeddedEtcd etcd, string nodeName, ILoggerFactory loggers, TimeProvider time)
    {
        _client = client;
        _etcd = etcd;
        _nodeName = nodeName;
        _address = new Uri(etcd.Member.PeerUrl).Host;
        _logger = loggers.CreateLogger<EtcdMemberController>();
        _queue = new WorkQueue<string>(time);
        _nodes = new Informer<V1Node>(client, time: time, logger: _logger);
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(
            node => _queue.Add(node.Metadata.Name),
            (node, _) =>
            {
                if (node.Metadata.Annotations?.TryGetValue(MemberNameAnnotation, out string? member) == true)
                {
                    _deletedMembers[node.Metadata.Name] = member;
                }

                _queue.Add(node.Metadata.Name);
            }));
    }

    /// <summary>Watches Nodes and converges them until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Task informer = _nodes.RunAsync(cancellationToken);
        await _nodes.WaitForSyncAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        await ControllerLoop.RunAsync("etcd-member", _queue, 1, SyncAsync, _logger, cancellationToken);
        await informer.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task SyncAsync(string name, CancellationToken cancellationToken)
    {
        if (_nodes.Store.Get(name) is not { } node)
        {
            if (_deletedMembers.TryRemove(name, out string? member) && member != _etcd.Member.Name && await _etcd.RemoveMemberAsync(member, cancellationToken))
            {
                LogRemoved(_logger, member, name);
            }

            return;
        }

        bool held = node.Metadata.Finalizers?.Contains(Finalizer) == true;
        if (node.Metadata.DeletionTimestamp is not null)
        {
            if (held)
            {
                await ReleaseAsync(node, cancellationToken);
            }

            return;
        }

        if (name == _nodeName && !(held && Annotated(node)))
        {
            await MarkOwnAsync(cancellationToken);
        }
    }

    private bool Annotated(V1Node node) =>
        ValueOf(node.Metadata.Annotations, MemberNameAnnotation) == _etcd.Member.Name &&
        ValueOf(node.Metadata.Annotations, MemberAddressAnnotation) == _address &&
        ValueOf(node.Metadata.Labels, EtcdRoleLabel) == "true";

    private static string? ValueOf(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out string? value) ? value : null;

    /// <summary>Annotates this server's Node with its member, labels it and adds the finalizer (read, change, replace: a conflict retries).</summary>
    private async Task MarkOwnAsync(CancellationToken cancellationToken)
    {
        V1Node node = await _client.CoreV1.ReadNodeAsync(_nodeName, cancellationToken: cancellationToken);
        if (node.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        node.Metadata.Annotations ??= new Dictionary<string, string>();
        node.Metadata.Annotations[MemberNameAnnotation] = _etcd.Member.Name;
        node.Metadata.Annotations[MemberAddressAnnotation] = _address;
        node.Metadata.Labels ??= new Dictionary<string, string>();
        node.Metadata.Labels[EtcdRoleLabel] = "true";
        node.Metadata.Finalizers ??= [];
        if (!node.Metadata.Finalizers.Contains(Finalizer))
        {
            node.Metadata.Finalizers.Add(Finalizer);
        }

        await _client.CoreV1.ReplaceNodeAsync(node, _nodeName, cancellationToken: cancellationToken);
    }

    /// <summary>A server's Node is being deleted: its member is removed (by a peer), then the finalizer.</summary>
    private async Task ReleaseAsync(V1Node node, CancellationToken cancellationToken)
    {
        string? member = ValueOf(node.Metadata.Annotations, MemberNameAnnotation);
        if (member == _etcd.Member.Name)
        {
            // This server's own Node: a peer removes the member. Alone, there is nobody to, and nothing to remove.
            if ((await _etcd.MembersAsync(cancellationToken)).Any(m => m.Name != member && !m.IsLearner))
            {
                return;
            }
        }
        else if (member is not null && await _etcd.RemoveMemberAsync(member, cancellationToken))
        {
            LogRemoved(_logger, member, node.Metadata.Name);
        }

        V1Node current = await _client.CoreV1.ReadNodeAsync(node.Metadata.Name, cancellationToken: cancellationToken);
        if (current.Metadata.Finalizers?.Remove(Finalizer) == true)
        {
            await _client.CoreV1.ReplaceNodeAsync(current, current.Metadata.Name, cancellationToken: cancellationToken);
        }
    }

    public void Dispose() => _queue.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed etcd member {Member}: its node {Node} was deleted")]
    private static partial void LogRemoved(ILogger logger, string member, string node);
}
