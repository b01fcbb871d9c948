using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Navarch.Bench.Node;

// The HPA's reaction to a load step on a real node: a Deployment of one busybox pod (request 100m) that starts burning
// CPU at a set instant, under an HPA targeting 50 % CPU (max 3). Measured from that instant: the first rescale
// (spec.replicas > 1) and all 3 replicas Ready. Run with Kubernetes' defaults (HPA sync period 15 s, metric resolution
// 15 s) and with the short settings the end-to-end test uses (2 s, 2 s).
// Usage: Navarch.Bench.Autoscaling [runs=2]
int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
(string Name, string Sync, string Resolution)[] settings = [("Kubernetes defaults (sync 15 s, resolution 15 s)", "15s", "15s"), ("short (sync 2 s, resolution 2 s)", "2s", "2s")];
string images = await ServerUnderTest.BuildImagesAsync();
var rows = new List<string>();
foreach ((string name, string sync, string resolution) in settings)
{
    await using ServerUnderTest server = await ServerUnderTest.StartAsync(images, "--horizontal-pod-autoscaler-sync-period", sync, "--metric-resolution", resolution);
    var reactions = new List<double>();
    var readies = new List<double>();
    for (int run = 0; run < runs; run++)
    {
        (double reaction, double ready) = await MeasureAsync(server.Client, $"step{run}");
        reactions.Add(reaction);
        readies.Add(ready);
    }

    rows.Add($"| {name} | {runs} | {Median(reactions):0.0} | {reactions.Max():0.0} | {Median(readies):0.0} | {readies.Max():0.0} |");
}

Console.WriteLine("| settings | runs | load → rescale median s | max s | load → 3 replicas Ready median s | max s |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
rows.ForEach(Console.WriteLine);

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static async Task<(double Reaction, double Ready)> MeasureAsync(Kubernetes client, string name)
{
    // The pod idles until the load instant (far enough ahead for it to start and be measured idle), then burns.
    DateTimeOffset loadAt = DateTimeOffset.UtcNow.AddSeconds(25);
    string script = $"while [ $(date +%s) -lt {loadAt.ToUnixTimeSeconds()} ]; do sleep 0.2; done; while :; do :; done";
    var labels = new Dictionary<string, string> { ["app"] = name };
    await client.AppsV1.CreateNamespacedDeploymentAsync(
        new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        TerminationGracePeriodSeconds = 0,
                        Containers = [new V1Container { Name = "burn", Image = "busybox:1.35", Command = ["sh", "-c", script], Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m") } } }],
                    },
                },
            },
        },
        "default");
    await client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(
        new V2HorizontalPodAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = name },
                MinReplicas = 1,
                MaxReplicas = 3,
                Metrics = [new V2MetricSpec { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 50 } } }],
            },
        },
        "default");

    double? reaction = null;
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        V1Deployment d = await client.AppsV1.ReadNamespacedDeploymentAsync(name, "default");
        double since = (DateTimeOffset.UtcNow - loadAt).TotalSeconds;
        if (reaction is null && d.Spec.Replicas > 1)
        {
            reaction = since;
        }

        if (d.Spec.Replicas == 3 && d.Status?.ReadyReplicas == 3)
        {
            await client.AutoscalingV2.DeleteNamespacedHorizontalPodAutoscalerAsync(name, "default");
            await client.AppsV1.DeleteNamespacedDeploymentAsync(name, "default", propagationPolicy: "Foreground");
            return (reaction ?? since, since);
        }

        if (deadline.Elapsed > TimeSpan.FromMinutes(3))
        {
            throw new TimeoutException($"{name}: not scaled to 3 Ready replicas within 3 minutes (replicas {d.Spec.Replicas}, ready {d.Status?.ReadyReplicas})");
        }

        await Task.Delay(100);
    }
}
