using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry;

/// <summary>What a PATCH returns when it created the object (server-side apply of an absent object): answered with 201, as kube-apiserver's patch handler does.</summary>
internal sealed record CreatedObject(IKubernetesObject<V1ObjectMeta> Object);
