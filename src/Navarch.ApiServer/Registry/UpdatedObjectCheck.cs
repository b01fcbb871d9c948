using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// A check of the object an update is about to write against the current one (what k8s.io/apiserver's
/// rest.WrapUpdatedObjectInfo adds to an update): it runs on every GuaranteedUpdate attempt and refuses by throwing.
/// </summary>
internal delegate Task UpdatedObjectCheck(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old, CancellationToken cancellationToken);
