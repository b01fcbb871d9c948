using System.CommandLine;
using System.Reflection;
using Navarch.Commands;

namespace Navarch;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Navarch: Kubernetes in one binary.");
        root.Subcommands.Add(ServerCommand.Create("server", "Run the control plane (the store, the API server, the controller manager and the scheduler) and, unless --disable-agent, a node agent.", withControllers: true));
        root.Subcommands.Add(ServerCommand.Create("apiserver", "Run the API server alone.", withControllers: false));
        root.Subcommands.Add(ControllerManagerCommand.Create());
        root.Subcommands.Add(SchedulerCommand.Create());
        root.Subcommands.Add(KubeletCommand.Create("kubelet", "Run the kubelet: register this machine as a Node and run its pods through containerd."));
        root.Subcommands.Add(KubeletCommand.Create("agent", "Run the node agent: the kubelet and the Service proxy.", withProxy: true));
        root.Subcommands.Add(ProxyCommand.Create());
        root.Subcommands.Add(ImagesCommand.Create());
        var version = new Command("version", "Print the Navarch version.");
        version.SetAction(_ =>
        {
            string v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.Out.WriteLine($"navarch {v} (Kubernetes {Navarch.ApiServer.ApiServer.KubernetesVersion})");
        });
        root.Subcommands.Add(version);
        return root.Parse(args).InvokeAsync();
    }
}
