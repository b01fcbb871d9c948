using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.History;

/// <summary>An informer handler made of three delegates; they only enqueue keys.</summary>
internal sealed class EventHandlers<T>(Action<T> added, Action<T, T> updated, Action<T> deleted) : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public void OnAdd(T obj) => added(obj);

    public void OnUpdate(T oldObj, T newObj) => updated(oldObj, newObj);

    public void OnDelete(T lastKnown, bool finalStateUnknown) => deleted(lastKnown);
}
