using Navarch.Proxy.Host;
using Navarch.Proxy.Rules;

namespace Navarch.Proxy.Iptables;

/// <summary>
/// The proxy's use of iptables: one <c>iptables-restore --noflush</c> per sync, idempotent jumps from the built-in
/// chains (<c>-C</c> then <c>-I</c>), the owned chains found again with <c>iptables-save</c>, and clean-up.
/// </summary>
internal sealed class IptablesClient(CommandRunner runner, ChainNames chains)
{
    private static readonly string[] Tables = ["filter", "nat"];

    /// <summary>The jumps into the owned chains, in the built-in chains kube-proxy uses.</summary>
    public IReadOnlyList<BaseChainJump> Jumps { get; } =
    [
        new("nat", "PREROUTING", ["-m", "comment", "--comment", "navarch service portals", "-j", chains.Services]),
        new("nat", "OUTPUT", ["-m", "comment", "--comment", "navarch service portals", "-j", chains.Services]),
        new("nat", "POSTROUTING", ["-m", "comment", "--comment", "navarch postrouting rules", "-j", chains.Postrouting]),
        new("filter", "INPUT", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "navarch externally-visible service portals", "-j", chains.ExternalServices]),
        new("filter", "FORWARD", ["-m", "comment", "--comment", "navarch forwarding rules", "-j", chains.Forward]),
        new("filter", "FORWARD", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "navarch service portals", "-j", chains.Services]),
        new("filter", "FORWARD", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "navarch externally-visible service portals", "-j", chains.ExternalServices]),
        new("filter", "FORWARD", ["-m", "comment", "--comment", "navarch pod network forwarding", "-j", chains.PodForward]),
        new("filter", "OUTPUT", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "navarch service portals", "-j", chains.Services]),
    ];

    /// <summary>Applies <paramref name="rules"/> atomically; throws <see cref="IptablesException"/> when iptables-restore fails.</summary>
    public async Task RestoreAsync(string rules, CancellationToken cancellationToken)
    {
        CommandResult result = await runner.RunAsync("iptables-restore", ["-w", "5", "--noflush"], rules, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            throw new IptablesException($"iptables-restore failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }
    }

    /// <summary>Adds each jump that is missing at the top of its built-in chain; returns how many were added.</summary>
    public async Task<int> EnsureJumpsAsync(CancellationToken cancellationToken)
    {
        int added = 0;
        // Inserted in reverse so that, all missing, they end up in the listed order.
        foreach (BaseChainJump jump in Jumps.Reverse())
        {
            if ((await runner.RunAsync("iptables", ["-w", "5", "-t", jump.Table, "-C", jump.Chain, .. jump.Args], cancellationToken: cancellationToken).ConfigureAwait(false)).Success)
            {
                continue;
            }

            CommandResult insert = await runner.RunAsync("iptables", ["-w", "5", "-t", jump.Table, "-I", jump.Chain, "1", .. jump.Args], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!insert.Success)
            {
                throw new IptablesException($"adding the jump to {jump.Args[^1]} in {jump.Table} {jump.Chain} failed: {insert.Stderr.Trim()}");
            }

            added++;
        }

        return added;
    }

    /// <summary>The owned chains that exist in the kernel now, per table.</summary>
    public async Task<Dictionary<string, HashSet<string>>> OwnedChainsAsync(CancellationToken cancellationToken)
    {
        var owned = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string table in Tables)
        {
            CommandResult save = await runner.RunAsync("iptables-save", ["-t", table], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!save.Success)
            {
                throw new IptablesException($"iptables-save -t {table} failed: {save.Stderr.Trim()}");
            }

            owned[table] = save.Stdout.Split('\n')
                .Where(l => l.Length > 0 && l[0] == ':')
                .Select(l => l[1..].Split(' ')[0])
                .Where(chains.Owns)
                .ToHashSet(StringComparer.Ordinal);
        }

        return owned;
    }

    /// <summary>Removes every jump and every owned chain (<c>navarch proxy --cleanup</c>); returns how many chains went.</summary>
    public async Task<int> CleanupAsync(CancellationToken cancellationToken)
    {
        foreach (BaseChainJump jump in Jumps)
        {
            // A jump inserted twice (two crashed starts) is deleted as often as it is there.
            for (int i = 0; i < 100; i++)
            {
                if (!(await runner.RunAsync("iptables", ["-w", "5", "-t", jump.Table, "-D", jump.Chain, .. jump.Args], cancellationToken: cancellationToken).ConfigureAwait(false)).Success)
                {
                    break;
                }
            }
        }

        Dictionary<string, HashSet<string>> owned = await OwnedChainsAsync(cancellationToken).ConfigureAwait(false);
        int count = owned.Values.Sum(c => c.Count);
        if (count == 0)
        {
            return 0;
        }

        var empty = new RuleSet();
        await RestoreAsync(empty.Render(owned["filter"], owned["nat"]), cancellationToken).ConfigureAwait(false);
        return count;
    }
}
