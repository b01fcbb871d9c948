using System.CommandLine;
using k8s.Models;
using Navarch.Kubelet.Node;

namespace Navarch.Commands;

/// <summary>
/// The kubelet's <c>--kube-reserved</c>, <c>--system-reserved</c> and <c>--eviction-hard</c>, on every command that
/// runs a kubelet; values are checked at parse time.
/// </summary>
internal sealed class NodeResourceFlags
{
    private readonly Option<string> _kubeReserved = Reserved("--kube-reserved", "Resources kept for Kubernetes' own daemons, off allocatable: cpu=100m,memory=256Mi,ephemeral-storage=1Gi,pid=1000");
    private readonly Option<string> _systemReserved = Reserved("--system-reserved", "Resources kept for the operating system, off allocatable (same form as --kube-reserved)");
    private readonly Option<string> _evictionHard = new("--eviction-hard")
    {
        Description = "Hard eviction thresholds: the node reports MemoryPressure, DiskPressure or PIDPressure under them, and they come off allocatable (memory.available, nodefs.available, imagefs.available, pid.available; a quantity or a percentage)",
        DefaultValueFactory = _ => EvictionThreshold.Defaults,
    };

    public NodeResourceFlags()
    {
        _evictionHard.Validators.Add(result =>
        {
            try
            {
                EvictionThreshold.ParseList(result.GetValueOrDefault<string>() ?? "");
            }
            catch (FormatException e)
            {
                result.AddError($"--eviction-hard: {e.Message}");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_kubeReserved);
        command.Options.Add(_systemReserved);
        command.Options.Add(_evictionHard);
    }

    public IReadOnlyDictionary<string, ResourceQuantity> KubeReserved(ParseResult parse) => ReservedResources.Parse(parse.GetValue(_kubeReserved) ?? "");

    public IReadOnlyDictionary<string, ResourceQuantity> SystemReserved(ParseResult parse) => ReservedResources.Parse(parse.GetValue(_systemReserved) ?? "");

    public IReadOnlyList<EvictionThreshold> EvictionHard(ParseResult parse) => EvictionThreshold.ParseList(parse.GetValue(_evictionHard) ?? "");

    private static Option<string> Reserved(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => "" };
        option.Validators.Add(result =>
        {
            try
            {
                ReservedResources.Parse(result.GetValueOrDefault<string>() ?? "");
            }
            catch (FormatException e)
            {
                result.AddError($"{name}: {e.Message}");
            }
        });
        return option;
    }
}
