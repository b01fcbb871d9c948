namespace Navarch.Kubelet.Pods;

/// <summary>
/// A container's config cannot be made (a missing ConfigMap key, runAsNonRoot with a root image, a bad subPath):
/// the container waits with reason CreateContainerConfigError and this message, and the kubelet retries.
/// </summary>
internal sealed class ContainerConfigException(string message) : Exception(message)
{
    public const string Reason = "CreateContainerConfigError";
}
