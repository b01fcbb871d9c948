using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;

namespace Navarch.Dns.Zone;

/// <summary>
/// What the cluster zone is built from: the Services and EndpointSlices informers' caches, and a generation that moves
/// on every change so cached cluster answers are dropped as soon as the informer sees a change.
/// </summary>
internal sealed class ClusterState
{
    private long _generation;

    public ClusterState(Kubernetes client, ILoggerFactory? loggers)
    {
        var factory = new SharedInformerFactory(client, loggers);
        Factory = factory;
        ServiceInformer = factory.Get<V1Service>();
        SliceInformer = factory.Get<V1EndpointSlice>();
        Slices = new EndpointSliceIndex(Changed);
        ServiceInformer.AddHandler(new ResourceEventHandler<V1Service>(_ => Changed()));
        SliceInformer.AddHandler(Slices);
    }

    public SharedInformerFactory Factory { get; }

    public Informer<V1Service> ServiceInformer { get; }

    public Informer<V1EndpointSlice> SliceInformer { get; }

    public EndpointSliceIndex Slices { get; }

    /// <summary>Moves on every Service or EndpointSlice change.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public V1Service? Service(string @namespace, string name) => ServiceInformer.Store.Get($"{@namespace}/{name}");

    public bool AnyServiceIn(string @namespace) => ServiceInformer.Store.List(@namespace).Count > 0;

    private void Changed() => Interlocked.Increment(ref _generation);
}
