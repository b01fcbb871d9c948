using k8s;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>What an informer tells its listeners, after its cache has changed. Handlers must be quick (enqueue a key).</summary>
/// <typeparam name="T">The model type.</typeparam>
public interface IResourceEventHandler<in T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>An object appeared.</summary>
    void OnAdd(T obj);

    /// <summary>An object changed (or a resync re-delivered it).</summary>
    void OnUpdate(T oldObj, T newObj);

    /// <summary>
    /// An object is gone. <paramref name="finalStateUnknown"/> is true when the deletion was missed while the watch was
    /// down and found on re-list (client-go's DeletedFinalStateUnknown tombstone): <paramref name="lastKnown"/> is the
    /// last state seen.
    /// </summary>
    void OnDelete(T lastKnown, bool finalStateUnknown);
}
