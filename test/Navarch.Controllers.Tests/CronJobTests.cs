using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The CronJob controller against a real API server, on a fake clock: the clock starts just past a minute boundary
/// two minutes ahead of the server's, so a "* * * * *" CronJob is due as soon as it is created, and each
/// <see cref="FakeTimeProvider.Advance"/> of a minute makes the next run due.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CronJobTests : ControllerCluster
{
    private readonly FakeTimeProvider _clock;

    public CronJobTests()
        : this(new FakeTimeProvider(Start()))
    {
    }

    private CronJobTests(FakeTimeProvider clock)
        : base(clock) => _clock = clock;

    private static DateTimeOffset Start()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero).AddMinutes(2).AddSeconds(1);
    }

    private static V1CronJob CronJob(string name, string policy) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1CronJobSpec
        {
            Schedule = "* * * * *",
            TimeZone = "Etc/UTC",
            ConcurrencyPolicy = policy,
            JobTemplate = new V1JobTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["from"] = name } },
                Spec = new V1JobSpec
                {
                    Template = new V1PodTemplateSpec
                    {
                        Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
                    },
                },
            },
        },
    };

    /// <summary>The schedule time the fake clock is in, as minutes since the epoch (the Job name suffix).</summary>
    private long CurrentMinute => _clock.GetUtcNow().ToUnixTimeSeconds() / 60;

    private async Task<List<V1Job>> JobsOf(string cronJob) =>
        (await Client.BatchV1.ListNamespacedJobAsync("default", labelSelector: $"from={cronJob}")).Items.Where(j => j.Metadata.DeletionTimestamp is null).OrderBy(j => j.Metadata.Name, StringComparer.Ordinal).ToList();

    private Task<V1CronJob> Read(string name) => Client.BatchV1.ReadNamespacedCronJobAsync(name, "default");

    /// <summary>Waits for the run of <paramref name="minute"/> to be recorded, then a moment for the requeue to be armed.</summary>
    private async Task WaitForScheduled(string name, long minute)
    {
        DateTime expected = DateTimeOffset.FromUnixTimeSeconds(minute * 60).UtcDateTime;
        await Eventually(async () => (await Read(name)).Status?.LastScheduleTime == expected, $"{name} lastScheduleTime {expected:o}");
        // The requeue is armed on the fake clock after that write, with nothing to show it: an Advance before it would
        // be missed, so a moment passes.
        await Task.Delay(300);
    }

    [Fact]
    public async Task Every_minute_creates_a_job_and_forbid_waits_for_the_running_one()
    {
        V1CronJob cronJob = await Client.BatchV1.CreateNamespacedCronJobAsync(CronJob("tick", "Forbid"), "default");
        long minute = CurrentMinute;
        await WaitForScheduled("tick", minute);
        V1Job job = Assert.Single(await JobsOf("tick"));
        Assert.Equal($"tick-{minute}", job.Metadata.Name);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(minute * 60).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), job.Metadata.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
        V1OwnerReference owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("CronJob", cronJob.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller ?? false));
        Assert.Equal(job.Metadata.Uid, Assert.Single((await Read("tick")).Status.Active).Uid);

        // The next minute is due, but the first Job still runs: Forbid starts nothing.
        _clock.Advance(TimeSpan.FromMinutes(1));

        // A skipped run writes nothing (no status, no event): a second of real time is the window for it to show.
        await Task.Delay(1000);
        Assert.Single(await JobsOf("tick"));

        // Once it completes, the waiting run starts, and the success is recorded.
        await Eventually(async () => (await JobTests.PodsOf(Client, job.Metadata.Name)).Count == 1, "the job's pod");
        await JobTests.SetPhase(Client, (await JobTests.PodsOf(Client, job.Metadata.Name))[0], "Succeeded");
        await WaitForScheduled("tick", minute + 1);
        Assert.Equal([$"tick-{minute}", $"tick-{minute + 1}"], (await JobsOf("tick")).Select(j => j.Metadata.Name));
        V1CronJob status = await Read("tick");
        Assert.NotNull(status.Status.LastSuccessfulTime);
        Assert.Equal($"tick-{minute + 1}", Assert.Single(status.Status.Active).Name);
    }

    [Fact]
    public async Task Replace_deletes_the_running_job_for_the_next_run()
    {
        await Client.BatchV1.CreateNamespacedCronJobAsync(CronJob("swap", "Replace"), "default");
        long minute = CurrentMinute;
        await WaitForScheduled("swap", minute);
        Assert.Equal($"swap-{minute}", Assert.Single(await JobsOf("swap")).Metadata.Name);

        _clock.Advance(TimeSpan.FromMinutes(1));
        await WaitForScheduled("swap", minute + 1);
        await Eventually(async () => (await JobsOf("swap")).Count == 1, "the old job deleted");
        Assert.Equal($"swap-{minute + 1}", Assert.Single(await JobsOf("swap")).Metadata.Name);
    }

    [Fact]
    public async Task A_suspended_cronjob_starts_nothing_and_history_limits_prune_finished_jobs()
    {
        V1CronJob spec = CronJob("quiet", "Allow");
        spec.Spec.Suspend = true;
        await Client.BatchV1.CreateNamespacedCronJobAsync(spec, "default");

        // A suspended CronJob writes nothing: a second is the window for a wrongly started Job to show.
        await Task.Delay(1000);
        Assert.Empty(await JobsOf("quiet"));

        // Resumed with a history of one success: each new run's success prunes the one before.
        await Client.BatchV1.PatchNamespacedCronJobAsync(new V1Patch("{\"spec\":{\"suspend\":false,\"successfulJobsHistoryLimit\":1}}", V1Patch.PatchType.MergePatch), "quiet", "default");
        long minute = CurrentMinute;
        for (int run = 0; run < 2; run++)
        {
            await WaitForScheduled("quiet", minute + run);
            string name = $"quiet-{minute + run}";
            await Eventually(async () => (await JobTests.PodsOf(Client, name)).Count == 1, $"{name}'s pod");
            await JobTests.SetPhase(Client, (await JobTests.PodsOf(Client, name))[0], "Succeeded");
            await Eventually(async () => (await Read("quiet")).Status?.Active is null or { Count: 0 }, $"{name} finished");
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        await Eventually(async () => (await JobsOf("quiet")).Select(j => j.Metadata.Name).SequenceEqual([$"quiet-{minute + 1}", $"quiet-{minute + 2}"]), "only the last success kept beside the new run");
    }

    [Fact]
    public async Task After_more_than_100_missed_runs_only_the_latest_starts()
    {
        V1CronJob spec = CronJob("late", "Allow");
        spec.Spec.Suspend = true;
        await Client.BatchV1.CreateNamespacedCronJobAsync(spec, "default");
        _clock.Advance(TimeSpan.FromHours(3));
        await Client.BatchV1.PatchNamespacedCronJobAsync(new V1Patch("{\"spec\":{\"suspend\":false}}", V1Patch.PatchType.MergePatch), "late", "default");
        await WaitForScheduled("late", CurrentMinute);
        Assert.Equal($"late-{CurrentMinute}", Assert.Single(await JobsOf("late")).Metadata.Name);
    }

    [Fact]
    public async Task A_run_missed_by_more_than_the_starting_deadline_is_skipped()
    {
        V1CronJob spec = CronJob("strict", "Allow");
        spec.Spec.StartingDeadlineSeconds = 10;
        spec.Spec.Suspend = true;
        await Client.BatchV1.CreateNamespacedCronJobAsync(spec, "default");

        // 20 s past the schedule time, with a deadline of 10 s: that run is lost.
        _clock.Advance(TimeSpan.FromSeconds(79));
        await Client.BatchV1.PatchNamespacedCronJobAsync(new V1Patch("{\"spec\":{\"suspend\":false}}", V1Patch.PatchType.MergePatch), "strict", "default");
        // A run skipped for its deadline writes nothing: a second is the window for a wrongly started Job to show.
        await Task.Delay(1000);
        Assert.Empty(await JobsOf("strict"));
        Assert.Null((await Read("strict")).Status?.LastScheduleTime);

        // The next one is caught in time.
        _clock.Advance(TimeSpan.FromSeconds(41));
        await WaitForScheduled("strict", CurrentMinute);
        Assert.Equal($"strict-{CurrentMinute}", Assert.Single(await JobsOf("strict")).Metadata.Name);
    }
}
