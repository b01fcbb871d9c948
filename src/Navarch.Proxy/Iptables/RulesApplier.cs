using System.Diagnostics;
using Navarch.Proxy.Host;
using Navarch.Proxy.Rules;

namespace Navarch.Proxy.Iptables;

/// <summary>
/// One sync's work after the informers: generate the whole ruleset, then write it with a single
/// <c>iptables-restore --noflush</c>. The first sync and every full resync write every owned chain (and delete owned
/// chains found in the kernel that are not wanted); the others write only the chains whose rules changed and delete
/// the ones no longer wanted (kube-proxy's partial sync) — nothing at all when nothing changed. iptables-nft's restore
/// time grows with the square of the chains written, so this is what keeps a sync after one endpoint change short.
/// Then the built-in chains' jumps are checked (first and full syncs) and stale UDP conntrack entries cleared.
/// </summary>
internal sealed class RulesApplier
{
    private readonly RuleGenerator _generator;
    private readonly IptablesClient _iptables;
    private readonly Conntrack _conntrack;
    private (Dictionary<string, string> Filter, Dictionary<string, string> Nat)? _applied;

    public RulesApplier(CommandRunner runner, ProxyOptions options)
    {
        var chains = new ChainNames(options.ChainPrefix);
        _generator = new RuleGenerator(chains, options);
        _iptables = new IptablesClient(runner, chains);
        _conntrack = new Conntrack(runner);
    }

    /// <summary>The iptables side.</summary>
    public IptablesClient Iptables => _iptables;

    /// <summary>The text of the last restore.</summary>
    public string? LastRestore { get; private set; }

    /// <summary>
    /// Applies <paramref name="ports"/>; returns what was done. With <paramref name="full"/> every chain is written
    /// and the jumps checked even when nothing changed (the periodic full resync repairs what others removed).
    /// </summary>
    public async Task<SyncResult> ApplyAsync(IReadOnlyList<ServicePortEndpoints> ports, bool full, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        RuleSet rules = _generator.Generate(ports);
        bool first = _applied is null;
        string? text;
        if (full || _applied is null)
        {
            Dictionary<string, HashSet<string>> existing = await _iptables.OwnedChainsAsync(cancellationToken).ConfigureAwait(false);
            text = rules.Render(existing["filter"], existing["nat"]);
        }
        else
        {
            text = rules.RenderChanges(_applied.Value.Filter, _applied.Value.Nat);
        }

        TimeSpan generated = Stopwatch.GetElapsedTime(start);
        if (text is null)
        {
            return new SyncResult(false, generated, TimeSpan.Zero, 0);
        }

        long restoreStart = Stopwatch.GetTimestamp();
        try
        {
            await _iptables.RestoreAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The kernel's state is unknown now: the next sync writes everything.
            _applied = null;
            throw;
        }

        TimeSpan restored = Stopwatch.GetElapsedTime(restoreStart);
        _applied = (rules.Filter.Snapshot(), rules.Nat.Snapshot());
        LastRestore = text;
        if (first || full)
        {
            await _iptables.EnsureJumpsAsync(cancellationToken).ConfigureAwait(false);
        }

        await _conntrack.ClearStaleAsync(ports, cancellationToken).ConfigureAwait(false);
        return new SyncResult(true, generated, restored, text.Length);
    }
}
