using k8s.Models;
using Navarch.Api.Strategies.Core;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class PodStrategyTests
{
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
