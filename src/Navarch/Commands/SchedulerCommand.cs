using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Scheduler;
using Navarch.Scheduler.Config;

namespace Navarch.Commands;

/// <summary><c>navarch scheduler</c>: the scheduler alone, against any API server.</summary>
internal static class SchedulerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig of the API server to schedule for", Required = true };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Schedule only while holding the kube-scheduler Lease", DefaultValueFactory = _ => true };
        var config = new Option<string?>("--config") { Description = "A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) YAML file" };
        var command = new Command("scheduler", "Run the scheduler alone.") { kubeconfig, leaderElect, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await LoadConfigurationAsync(parse.GetValue(config), "scheduler") is not { } configuration)
            {
                return 1;
            }

            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(parse.GetValue(kubeconfig)!));
            var options = new SchedulerOptions
            {
                Configuration = configuration,
                LeaderElection = parse.GetValue(leaderElect) ? new Client.Leadership.LeaderElectionOptions { LeaseName = KubeScheduler.LeaseName } : null,
            };
            await new KubeScheduler(client, logging, options: options).RunAsync(stop.Token);
            return 0;
        });
        return command;
    }

    /// <summary>The configuration in <paramref name="path"/> (the default one when null); null after printing why it cannot be used.</summary>
    public static async Task<SchedulerConfiguration?> LoadConfigurationAsync(string? path, string commandName)
    {
        try
        {
            return path is { Length: > 0 } ? ConfigurationLoader.Load(path) : SchedulerConfiguration.Default();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            await Console.Error.WriteLineAsync($"navarch {commandName}: {e.Message}");
            return null;
        }
    }
}
