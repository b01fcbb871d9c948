using System.CommandLine;

namespace Navarch.Commands.CheckConfig;

/// <summary><c>navarch check-config</c>: one pass/warn/fail line per host prerequisite; non-zero exit when a required one fails.</summary>
internal static class CheckConfigCommand
{
    public static Command Create()
    {
        var command = new Command("check-config", "Check this host's prerequisites (cgroups, iptables, forwarding, br_netfilter, nftables, containerd, runc, CNI plugins, kubectl); exit 1 when a required one fails.");
        command.SetAction(_ =>
        {
            IReadOnlyList<CheckOutcome> outcomes = HostChecks.ForThisHost().Run();
            foreach (CheckOutcome outcome in outcomes)
            {
                Console.Out.WriteLine(outcome.ToString());
            }

            int failed = outcomes.Count(o => o.Status == CheckStatus.Fail);
            Console.Out.WriteLine(failed == 0 ? "STATUS: pass" : $"STATUS: {failed} required check(s) failed");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
