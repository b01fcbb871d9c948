namespace Navarch.ApiServer.Authorization.Node;

/// <summary>The kinds of API object the Node authorizer's <see cref="Graph"/> holds (plugin/pkg/auth/authorizer/node's vertexType).</summary>
internal enum VertexType
{
    ConfigMap,
    Node,
    Pod,
    PersistentVolumeClaim,
    PersistentVolume,
    Secret,
    ServiceAccount,
    VolumeAttachment,
}
