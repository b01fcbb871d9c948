using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers;

/// <summary>client-go's ResourceEventHandlerFuncs: an informer handler made of delegates, any of which may be left out.</summary>
/// <typeparam name="T">The model type.</typeparam>
internal sealed class ResourceEventHandlerFuncs<T>(Action<T>? add = null, Action<T, T>? update = null, Action<T, bool>? delete = null) : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>All three, the delete one without client-go's final-state-unknown flag.</summary>
    public ResourceEventHandlerFuncs(Action<T> add, Action<T, T> update, Action<T> delete)
        : this(add, update, (obj, _) => delete(obj))
    {
    }

    public void OnAdd(T obj) => add?.Invoke(obj);

    public void OnUpdate(T oldObj, T newObj) => update?.Invoke(oldObj, newObj);

    public void OnDelete(T lastKnown, bool finalStateUnknown) => delete?.Invoke(lastKnown, finalStateUnknown);
}
