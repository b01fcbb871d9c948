using Navarch.Client.Events;
using Navarch.Kubelet.Images;
using Navarch.Kubelet.Probes;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Status;
using Navarch.Kubelet.Volumes;
using Navarch.Kubelet.Metrics;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// What every pod worker works through — the node's runtime and the kubelet's managers — composed once by the
/// <see cref="Kubelet"/> (or a test, with a fake runtime).
/// </summary>
/// <param name="Runtime">The CRI runtime service.</param>
/// <param name="Images">Pulls images by policy, with back-off and pull secrets.</param>
/// <param name="Status">Writes pod status, and deletes a pod once it is torn down.</param>
/// <param name="Probes">The probe workers and their results.</param>
/// <param name="Hooks">Runs postStart and preStop hooks.</param>
/// <param name="Volumes">Sets up, mounts and tears down pod volumes.</param>
/// <param name="Configs">Builds CRI container configs.</param>
/// <param name="Options">The kubelet's options.</param>
/// <param name="Events">Records the pod events.</param>
/// <param name="Time">The clock.</param>
/// <param name="Objects">Watches the ConfigMaps and Secrets each pod refers to (the workers register their pods).</param>
/// <param name="RuntimeClasses">The CRI handlers of RuntimeClasses (none: every pod on the runtime's default).</param>
/// <param name="Metrics">The kubelet's metrics the workers feed (none in tests that do not read them).</param>
internal sealed record PodWorkerDependencies(
    IRuntimeService Runtime,
    ImageManager Images,
    StatusManager Status,
    ProbeManager Probes,
    Prober Hooks,
    VolumeManager Volumes,
    ContainerConfigBuilder Configs,
    KubeletOptions Options,
    EventRecorder Events,
    TimeProvider Time,
    Cache.PodObjectCache Objects,
    RuntimeClassManager? RuntimeClasses = null,
    KubeletMetrics? Metrics = null);
