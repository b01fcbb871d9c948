using k8s.Models;
using Navarch.Api.Strategies.Batch;

namespace Navarch.Api.Machinery.Tests.Strategies.Batch;

[Trait("Category", "Unit")]
public sealed class CronJobStrategyTests
{
    [Theory]
    [InlineData("*/5 * * * *", true)]
    [InlineData("0 3 * * 1-5", true)]
    [InlineData("@hourly", true)]
    [InlineData("@daily", true)]
    [InlineData("61 * * * *", false)]
    [InlineData("not a schedule", false)]
    public void Cron_schedules_parse_like_kubernetes(string schedule, bool valid) =>
        Assert.Equal(valid, CronSchedule.Parse(schedule) is not null);

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
        Assert.Equal(["spec.schedule", "spec.jobTemplate.spec.template.spec.restartPolicy"], StrategyHarness.Create(CronJobStrategy.Create(), cron).Select(e => e.Field));
        Assert.Equal(3, cron.Spec.SuccessfulJobsHistoryLimit);
    }
}
