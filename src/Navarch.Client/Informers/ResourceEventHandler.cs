using k8s;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>
/// An informer handler made of delegates, client-go's <c>ResourceEventHandlerFuncs</c>: set any of
/// <see cref="AddFunc"/>, <see cref="UpdateFunc"/> and <see cref="DeleteFunc"/> (a missing one ignores its events), or
/// use a constructor for the common shapes of a controller that only enqueues keys.
/// </summary>
/// <typeparam name="T">The model type.</typeparam>
public sealed class ResourceEventHandler<T> : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>No delegates yet: set them in an object initializer.</summary>
    public ResourceEventHandler()
    {
    }

    /// <summary>One delegate for adds and updates (given the new object), one for deletes.</summary>
    public ResourceEventHandler(Action<T> changed, Action<T, bool> deleted)
    {
        ArgumentNullException.ThrowIfNull(changed);
        AddFunc = changed;
        UpdateFunc = (_, newObj) => changed(newObj);
        DeleteFunc = deleted;
    }

    /// <summary>One delegate for adds, updates (the new object) and deletes (the last state) alike.</summary>
    public ResourceEventHandler(Action<T> any)
        : this(any, (obj, _) => any(obj))
    {
    }

    /// <summary>Called when an object appeared.</summary>
    public Action<T>? AddFunc { get; init; }

    /// <summary>Called with the old and the new object when one changed (or a resync re-delivered it).</summary>
    public Action<T, T>? UpdateFunc { get; init; }

    /// <summary>Called with the last known state, and whether the deletion was missed (see <see cref="IResourceEventHandler{T}.OnDelete"/>).</summary>
    public Action<T, bool>? DeleteFunc { get; init; }

    /// <inheritdoc />
    public void OnAdd(T obj) => AddFunc?.Invoke(obj);

    /// <inheritdoc />
    public void OnUpdate(T oldObj, T newObj) => UpdateFunc?.Invoke(oldObj, newObj);

    /// <inheritdoc />
    public void OnDelete(T lastKnown, bool finalStateUnknown) => DeleteFunc?.Invoke(lastKnown, finalStateUnknown);
}
