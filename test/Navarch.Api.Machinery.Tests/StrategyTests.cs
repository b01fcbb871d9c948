using k8s.Models;
using Navarch.Api.Resources;
using Navarch.Api.Strategies;

namespace Navarch.Api.Machinery.Tests;

[Trait("Category", "Unit")]
public sealed class StrategyTests
{
    [Theory]
    [InlineData("*/5 * * * *", true)]
    [InlineData("0 3 * * 1-5", true)]
    [InlineData("@hourly", true)]
    [InlineData("@daily", true)]
    [InlineData("61 * * * *", false)]
    [InlineData("not a schedule", false)]
    public void Cron_schedules_parse_like_kubernetes(string schedule, bool valid) =>
        Assert.Equal(valid, ClusterStrategies.ParseSchedule(schedule) is not null);

    private static IReadOnlyList<FieldError> Validate<T>(string plural, T obj, string group = "")
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        ResourceDefinition d = ResourceCatalog.Default.All.First(r => r.Plural == plural && r.Group == group);
        d.Strategy.Default(obj);
        return d.Strategy.Validate(obj);
    }

    [Fact]
    public void A_cron_job_needs_a_parseable_schedule_and_a_job_restart_policy()
    {
        var cron = new V1CronJob
        {
            Metadata = new V1ObjectMeta { Name = "c" },
            Spec = new V1CronJobSpec
            {
                Schedule = "CRON_TZ=UTC 0 * * * *",
                JobTemplate = new V1JobTemplateSpec { Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Always", Containers = [new V1Container { Name = "a", Image = "busybox:1.35" }] } } } },
            },
        };
        Assert.Equal(["spec.schedule", "spec.jobTemplate.spec.template.spec.restartPolicy"], Validate("cronjobs", cron, "batch").Select(e => e.Field));
        Assert.Equal(3, cron.Spec.SuccessfulJobsHistoryLimit);
    }

    [Fact]
    public void Rbac_rules_need_verbs_and_api_groups()
    {
        var role = new V1Role { Metadata = new V1ObjectMeta { Name = "system:r" }, Rules = [new V1PolicyRule { Resources = ["pods"] }] };
        Assert.Equal(["rules[0].verbs", "rules[0].apiGroups"], Validate("roles", role, "rbac.authorization.k8s.io").Select(e => e.Field));
    }

    [Fact]
    public void A_deployment_selector_must_match_its_template()
    {
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "api" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "Bad_Name" }] },
                },
            },
        };
        Assert.Equal(
            ["spec.template.metadata.labels", "spec.template.spec.containers[0].name", "spec.template.spec.containers[0].image"],
            Validate("deployments", deployment, "apps").Select(e => e.Field));
    }

    [Fact]
    public void Services_need_named_unique_ports_in_range()
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "svc" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }, new V1ServicePort { Port = 70000, Name = "b", NodePort = 31000 }] },
        };
        Assert.Equal(["spec.ports[0].name", "spec.ports[1].port", "spec.ports[1].nodePort"], Validate("services", service).Select(e => e.Field));
        Assert.Equal("TCP", service.Spec.Ports[0].Protocol);
        Assert.Equal(80, service.Spec.Ports[0].TargetPort.Value is { } t ? int.Parse(t) : 0);
    }

    [Fact]
    public void Pod_table_status_reads_like_kubectl()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", CreationTimestamp = DateTime.UtcNow },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "a" }] },
            Status = new V1PodStatus
            {
                Phase = "Running",
                ContainerStatuses = [new V1ContainerStatus { Name = "a", Ready = false, RestartCount = 4, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff" } } }],
            },
        };
        Assert.Equal("CrashLoopBackOff", PodStrategy.PodPhaseReason(pod));
        pod.Metadata.DeletionTimestamp = DateTime.UtcNow;
        Assert.Equal("Terminating", PodStrategy.PodPhaseReason(pod));
    }

    [Fact]
    public void Pod_table_counts_started_sidecars_and_init_progress()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec
            {
                InitContainers = [new V1Container { Name = "init" }, new V1Container { Name = "side", RestartPolicy = "Always" }],
                Containers = [new V1Container { Name = "a" }],
            },
            Status = new V1PodStatus
            {
                Phase = "Pending",
                InitContainerStatuses =
                [
                    new V1ContainerStatus { Name = "init", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, Reason = "Completed" } } },
                    new V1ContainerStatus { Name = "side", Started = false, State = new V1ContainerState { Running = new V1ContainerStateRunning() } },
                ],
                ContainerStatuses = [new V1ContainerStatus { Name = "a", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "PodInitializing" } } }],
            },
        };
        Assert.Equal("Init:1/2", PodStrategy.PodPhaseReason(pod));
        Assert.Equal("0/2", PodStrategy.ReadyColumn(pod));

        pod.Status.Phase = "Running";
        pod.Status.InitContainerStatuses[1].Started = true;
        pod.Status.InitContainerStatuses[1].Ready = true;
        pod.Status.ContainerStatuses[0] = new V1ContainerStatus { Name = "a", Ready = true, State = new V1ContainerState { Running = new V1ContainerStateRunning() } };
        Assert.Equal("Running", PodStrategy.PodPhaseReason(pod));
        Assert.Equal("2/2", PodStrategy.ReadyColumn(pod));
    }
}
