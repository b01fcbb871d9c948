namespace Navarch.Kubelet.Volumes;

/// <summary>A volume could not be set up (a missing ConfigMap, a failed hostPath type check...); the pod waits.</summary>
internal sealed class VolumeSetupException(string message) : Exception(message);
