using System.CommandLine;
using System.Reflection;

namespace Navarch;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Navarch: Kubernetes in one binary.");
        var version = new Command("version", "Print the Navarch version.");
        version.SetAction(_ =>
        {
            string v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.Out.WriteLine($"navarch {v}");
        });
        root.Subcommands.Add(version);
        return root.Parse(args).InvokeAsync();
    }
}
