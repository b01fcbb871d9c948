namespace Navarch.Controllers;

/// <summary>The controller manager's tunables, named after kube-controller-manager's flags; defaults are Kubernetes'.</summary>
public sealed record ControllerManagerOptions
{
    /// <summary>--terminated-pod-gc-threshold: terminated pods kept before PodGC deletes the oldest (0 or less disables it).</summary>
    public int TerminatedPodGCThreshold { get; init; } = 12500;

    /// <summary>How long a pod's node must be missing before PodGC deletes the pod (Kubernetes: 40 s).</summary>
    public TimeSpan PodGCQuarantine { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>How often PodGC runs (Kubernetes: 20 s).</summary>
    public TimeSpan PodGCPeriod { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>--resource-quota-sync-period: how often every ResourceQuota's usage is recounted (Kubernetes: 5 minutes).</summary>
    public TimeSpan ResourceQuotaSyncPeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>--pvclaimbinder-sync-period: how often every PersistentVolume and claim is synced again (Kubernetes: 15 s).</summary>
    public TimeSpan PersistentVolumeSyncPeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The volume plugins the PersistentVolume controller may delete volumes with (reclaim policy Delete); a volume
    /// provisioned by a provisioner not listed here and not named kubernetes.io/... is left to that (external)
    /// provisioner. By default the in-tree hostPath deleter.
    /// </summary>
    public IReadOnlyList<PersistentVolume.IDeletableVolumePlugin> DeletableVolumePlugins { get; init; } = [new PersistentVolume.HostPathDeleter()];

    /// <summary>
    /// The image of the recycler pods that empty hostPath and NFS volumes with reclaim policy Recycle (Kubernetes'
    /// --pv-recycler-pod-template-filepath-*): the busybox image every agent imports.
    /// </summary>
    public string RecyclerPodImage { get; init; } = "docker.io/library/busybox:1.35";

    /// <summary>
    /// The controller side of volume expansion, by CSI driver (what the external-resizer sidecar does); a claim on a
    /// driver not listed waits for an external resizer. None by default.
    /// </summary>
    public IReadOnlyList<VolumeExpand.IVolumeResizer> VolumeResizers { get; init; } = [];

    /// <summary>--cluster-cidr: the range node IPAM carves pod CIDRs from.</summary>
    public string ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary>--node-cidr-mask-size: the prefix length of each node's pod CIDR.</summary>
    public int NodeCidrMaskSize { get; init; } = 24;

    /// <summary>--node-monitor-grace-period: how long a node may go unheard from (no Lease renewal, no status heartbeat) before it is Unknown.</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>--node-monitor-period: how often the node lifecycle controller checks every node's health.</summary>
    public TimeSpan NodeMonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// --root-ca-file: the CA bundle (PEM) published to every namespace as the kube-root-ca.crt ConfigMap; null runs
    /// no publisher.
    /// </summary>
    public string? RootCaBundle { get; init; }

    /// <summary>
    /// --cluster-signing-cert-file and --cluster-signing-key-file: the CA (with its key) the csrsigning controller signs
    /// approved CertificateSigningRequests with; null runs no signer.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClusterSigningCertificate { get; init; }

    /// <summary>--cluster-signing-duration: the longest certificate the signer issues (Kubernetes: 8760h, a year).</summary>
    public TimeSpan ClusterSigningDuration { get; init; } = TimeSpan.FromDays(365);

    /// <summary>--horizontal-pod-autoscaler-sync-period: how often every HPA is reconciled (Kubernetes: 15 s).</summary>
    public TimeSpan HorizontalPodAutoscalerSyncPeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>--horizontal-pod-autoscaler-downscale-stabilization: the scale-down window of HPAs that set none (Kubernetes: 5 minutes).</summary>
    public TimeSpan HorizontalPodAutoscalerDownscaleStabilizationWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>--horizontal-pod-autoscaler-tolerance: a usage ratio this close to 1 changes nothing (Kubernetes: 0.1).</summary>
    public double HorizontalPodAutoscalerTolerance { get; init; } = 0.1;

    /// <summary>--horizontal-pod-autoscaler-cpu-initialization-period: how long after start a pod's CPU counts only once it is Ready (Kubernetes: 5 minutes).</summary>
    public TimeSpan HorizontalPodAutoscalerCpuInitializationPeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>--horizontal-pod-autoscaler-initial-readiness-delay: how long after start readiness changes count as initial (Kubernetes: 30 s).</summary>
    public TimeSpan HorizontalPodAutoscalerInitialReadinessDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// --leader-elect and its timings: run the controllers only while holding the Lease (named
    /// <see cref="ControllerManager.LeaseName"/>); null runs them at once, holding no Lease.
    /// </summary>
    public Client.Leadership.LeaderElectionOptions? LeaderElection { get; init; }

    /// <summary>
    /// The HTTPS port kube-controller-manager serves /metrics and its health endpoints on (its --secure-port, 10257 in a cluster);
    /// null serves none (a library user serves <c>Metrics</c> itself, or not at all).
    /// </summary>
    public int? SecurePort { get; init; }
}
