using k8s;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>
/// An informer handler from two delegates — one for adds and updates (given the new object), one for deletes — for
/// the common case of a controller that only enqueues keys.
/// </summary>
/// <typeparam name="T">The model type.</typeparam>
public sealed class ResourceEventHandler<T>(Action<T> changed, Action<T, bool> deleted) : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>One delegate for adds, updates and deletes alike.</summary>
    public ResourceEventHandler(Action<T> any)
        : this(any, (obj, _) => any(obj))
    {
    }

    /// <inheritdoc />
    public void OnAdd(T obj) => changed(obj);

    /// <inheritdoc />
    public void OnUpdate(T oldObj, T newObj) => changed(newObj);

    /// <inheritdoc />
    public void OnDelete(T lastKnown, bool finalStateUnknown) => deleted(lastKnown, finalStateUnknown);
}
