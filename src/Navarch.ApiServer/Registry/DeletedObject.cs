using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// What a delete did: the object as it was last (or, when it stays for its finalizers or grace period, as it is now),
/// and whether it is gone from the store (in a dry run: would be). kube-apiserver answers a delete that removed the
/// object with a Success Status unless the kind returns deleted objects, and one that only marked it with the object.
/// </summary>
internal sealed record DeletedObject(IKubernetesObject<V1ObjectMeta> Object, bool Removed);
