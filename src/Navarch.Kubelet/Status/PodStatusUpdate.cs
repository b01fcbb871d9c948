using k8s.Models;

namespace Navarch.Kubelet.Status;

/// <summary>What came of <see cref="StatusManager.SetPodStatusAsync"/>: the pod as written (null when nothing needed writing), or that the pod is gone from the API.</summary>
internal readonly record struct PodStatusUpdate(V1Pod? Written, bool PodGone);
