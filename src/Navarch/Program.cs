using System.CommandLine;
using System.Reflection;
using Navarch.Commands;
using Navarch.Config;

namespace Navarch;

internal static class Program
{
    /// <summary>How long a command asked to stop (Ctrl-C, SIGTERM) may take before the process exits anyway.</summary>
    internal static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(90);

    public static async Task<int> Main(string[] args)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);

        // kubectl's arguments are kubectl's: handed over untouched, never parsed here.
        if (args.Length > 0 && args[0] == "kubectl")
        {
            return await KubectlCommand.RunAsync(args[1..], environment);
        }

        RootCommand root = CreateRoot();
        ParseResult parse;
        try
        {
            parse = ConfigLayers.Parse(root, args, environment);
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync($"navarch: {e.Message}");
            return 1;
        }

        if (!Logging.Configure(parse))
        {
            return 1;
        }

        // System.CommandLine turns SIGINT/SIGTERM into the commands' cancellation and, by default, ends the process
        // with 130/143 two seconds later: a server or agent stopping its components in order (etcd, containerd, each
        // up to 10 s) was cut off half-way under load. The grace period is systemd's default stop timeout instead.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = StopGracePeriod });
    }


    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("Navarch: Kubernetes in one binary. Settings come from flags, then NAVARCH_<FLAG> environment variables, then the --config YAML file.");
        root.Options.Add(Logging.FormatOption);
        root.Options.Add(Logging.DebugOption);
        root.Options.Add(Logging.VerbosityOption);
        root.Options.Add(Logging.FileOption);
        root.Subcommands.Add(ServerCommand.Create("server", "Run the control plane (the store, the API server, the controller manager and the scheduler) and, unless --disable-agent, a node agent.", withControllers: true));
        root.Subcommands.Add(ServerCommand.Create("apiserver", "Run the API server alone.", withControllers: false));
        root.Subcommands.Add(ControllerManagerCommand.Create());
        root.Subcommands.Add(SchedulerCommand.Create());
        root.Subcommands.Add(KubeletCommand.Create("kubelet", "Run the kubelet: register this machine as a Node and run its pods through containerd."));
        root.Subcommands.Add(KubeletCommand.Create("agent", "Run the node agent: the kubelet and the Service proxy; joins a cluster with --server and --token.", withProxy: true));
        root.Subcommands.Add(DnsCommand.Create());
        root.Subcommands.Add(ProxyCommand.Create());
        root.Subcommands.Add(ImagesCommand.Create());
        root.Subcommands.Add(Commands.Token.TokenCommand.Create(Console.Out, Console.Error));
        root.Subcommands.Add(Commands.SecretsEncrypt.SecretsEncryptCommand.Create());
        root.Subcommands.Add(Commands.Certificate.CertificateCommand.Create());
        root.Subcommands.Add(Commands.Snapshot.SnapshotCommand.Create(Console.Out, Console.Error));
        root.Subcommands.Add(Commands.Etcd.EtcdCommand.Create());
        root.Subcommands.Add(KubectlCommand.Create());
        root.Subcommands.Add(Commands.Logs.LogsCommand.Create(Console.Out, Console.Error));
        root.Subcommands.Add(Commands.CheckConfig.CheckConfigCommand.Create());
        root.Subcommands.Add(KillallCommand.Create());
        var version = new Command("version", "Print the Navarch version.");
        version.SetAction(_ =>
        {
            // The SDK appends +<commit> to the informational version; the commit is printed on its own.
            string v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";
            Console.Out.WriteLine(
                $"navarch version {v} (Kubernetes {Navarch.ApiServer.ApiServer.KubernetesVersion}+navarch, commit {Navarch.ApiServer.Http.BuildInfo.GitCommit}, " +
                $"tree {Navarch.ApiServer.Http.BuildInfo.GitTreeState}, built {Navarch.ApiServer.Http.BuildInfo.BuildDate}, {Navarch.ApiServer.Http.BuildInfo.Platform})");
        });
        root.Subcommands.Add(version);
        root.Subcommands.Add(Commands.Completion.CompletionCommand.Create(root));
        ConfigLayers.AddConfigOptions(root);
        return root;
    }
}
