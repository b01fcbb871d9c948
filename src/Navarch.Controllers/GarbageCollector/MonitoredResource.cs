using k8s;
using k8s.Models;

namespace Navarch.Controllers.GarbageCollector;

/// <summary>A resource the garbage collector watches through an informer: its mapping and a read of its cache by key.</summary>
internal sealed record MonitoredResource(ResourceMapping Mapping, Func<string, IKubernetesObject<V1ObjectMeta>?> Get);
