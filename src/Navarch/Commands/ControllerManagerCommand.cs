using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Controllers;

namespace Navarch.Commands;

/// <summary><c>navarch controller-manager</c>: the controllers alone, against any API server.</summary>
internal static class ControllerManagerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig of the API server to manage", Required = true };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Run controllers only while holding the kube-controller-manager Lease", DefaultValueFactory = _ => true };
        var terminatedPodGCThreshold = new Option<int>("--terminated-pod-gc-threshold") { Description = "Terminated pods kept before PodGC deletes the oldest (0 or less: keep all)", DefaultValueFactory = _ => 12500 };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "The range node pod CIDRs are carved from", DefaultValueFactory = _ => "10.42.0.0/16" };
        Option<string> nodeMonitorGracePeriod = Token.GoDuration.Option("--node-monitor-grace-period", "How long a node may go without a heartbeat before it is marked not ready (and its pods evicted after their tolerations)", "40s");
        var nodeCidrMaskSize = new Option<int>("--node-cidr-mask-size") { Description = "The prefix length of each node's pod CIDR", DefaultValueFactory = _ => 24 };
        var signingCert = new Option<string?>("--cluster-signing-cert-file") { Description = "The CA (PEM) the csrsigning controller signs approved CertificateSigningRequests with (e.g. <data-dir>/server/tls/server-ca.crt); none: no signer" };
        var signingKey = new Option<string?>("--cluster-signing-key-file") { Description = "The key (PEM) of --cluster-signing-cert-file" };
        Option<string> signingDuration = Token.GoDuration.Option("--cluster-signing-duration", "The longest certificate the signer issues", "8760h");
        Option<string> hpaSyncPeriod = Token.GoDuration.Option("--horizontal-pod-autoscaler-sync-period", "How often the HorizontalPodAutoscaler controller reconciles every HPA", "15s");
        Option<string> hpaDownscaleStabilization = Token.GoDuration.Option("--horizontal-pod-autoscaler-downscale-stabilization", "The scale-down stabilization window of HPAs that set none", "5m0s");
        var command = new Command("controller-manager", "Run the controller manager alone.") { kubeconfig, leaderElect, terminatedPodGCThreshold, clusterCidr, nodeCidrMaskSize, nodeMonitorGracePeriod, signingCert, signingKey, signingDuration, hpaSyncPeriod, hpaDownscaleStabilization };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            k8s.KubernetesClientConfiguration config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(parse.GetValue(kubeconfig)!);
            using var client = new k8s.Kubernetes(config);
            var options = new ControllerManagerOptions
            {
                TerminatedPodGCThreshold = parse.GetValue(terminatedPodGCThreshold),
                ClusterCidr = parse.GetValue(clusterCidr)!,
                NodeCidrMaskSize = parse.GetValue(nodeCidrMaskSize),
                NodeMonitorGracePeriod = Token.GoDuration.Parse(parse.GetValue(nodeMonitorGracePeriod)!),
                // As kube-controller-manager without --root-ca-file: the CA its kubeconfig trusts.
                RootCaBundle = Navarch.Controllers.RootCaPublisher.RootCaPublisherController.BundleOf(config),
                ClusterSigningCertificate = parse.GetValue(signingCert) is { Length: > 0 } cert
                    ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, parse.GetValue(signingKey))
                    : null,
                ClusterSigningDuration = Token.GoDuration.Parse(parse.GetValue(signingDuration)!),
                HorizontalPodAutoscalerSyncPeriod = Token.GoDuration.Parse(parse.GetValue(hpaSyncPeriod)!),
                HorizontalPodAutoscalerDownscaleStabilizationWindow = Token.GoDuration.Parse(parse.GetValue(hpaDownscaleStabilization)!),
                LeaderElection = parse.GetValue(leaderElect) ? new Client.Leadership.LeaderElectionOptions { LeaseName = ControllerManager.LeaseName } : null,
            };
            await new ControllerManager(client, logging, options: options).RunAsync(stop.Token);
            return 0;
        });
        return command;
    }
}
