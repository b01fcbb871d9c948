using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers;

/// <summary>An informer handler from two delegates: one for an added or updated object, one for a deleted one.</summary>
/// <typeparam name="T">The model type.</typeparam>
internal sealed class EventHandlers<T>(Action<T> changed, Action<T, bool> deleted) : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public void OnAdd(T obj) => changed(obj);

    public void OnUpdate(T oldObj, T newObj) => changed(newObj);

    public void OnDelete(T lastKnown, bool finalStateUnknown) => deleted(lastKnown, finalStateUnknown);
}
