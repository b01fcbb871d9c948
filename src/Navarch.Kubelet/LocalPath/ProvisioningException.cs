namespace Navarch.Kubelet.LocalPath;

/// <summary>A claim cannot be provisioned as it stands (unknown class, access modes, size); the claim gets an Event.</summary>
internal sealed class ProvisioningException(string message) : Exception(message);
