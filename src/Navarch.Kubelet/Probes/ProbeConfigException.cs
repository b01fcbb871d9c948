namespace Navarch.Kubelet.Probes;

/// <summary>A probe that cannot run as written (an unknown port name, no pod IP yet); it counts as a failed run.</summary>
internal sealed class ProbeConfigException(string message) : Exception(message);
