using System.Diagnostics;
using Navarch.Proxy.Host;
using Navarch.Proxy.Rules;

namespace Navarch.Proxy.Iptables;

/// <summary>
/// One sync's work after the informers: generate the whole ruleset, and — only when its text changed, or on a full
/// resync — write it with a single <c>iptables-restore --noflush</c> that also deletes the owned chains no longer
/// wanted; then make sure the built-in chains jump to it and clear stale UDP conntrack entries.
/// </summary>
internal sealed class RulesApplier
{
    private readonly RuleGenerator _generator;
    private readonly IptablesClient _iptables;
    private readonly Conntrack _conntrack;
    private Dictionary<string, HashSet<string>>? _existing;
    private string? _lastText;

    public RulesApplier(CommandRunner runner, ProxyOptions options)
    {
        var chains = new ChainNames(options.ChainPrefix);
        _generator = new RuleGenerator(chains, options);
        _iptables = new IptablesClient(runner, chains);
        _conntrack = new Conntrack(runner);
    }

    /// <summary>The iptables side.</summary>
    public IptablesClient Iptables => _iptables;

    /// <summary>The last text written.</summary>
    public string? LastText => _lastText;

    /// <summary>
    /// Applies <paramref name="ports"/>; returns what was done. With <paramref name="force"/> the rules are written
    /// and the jumps checked even when nothing changed (the periodic full resync repairs what others removed).
    /// </summary>
    public async Task<SyncResult> ApplyAsync(IReadOnlyList<ServicePortEndpoints> ports, bool force, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        RuleSet rules = _generator.Generate(ports);
        string text = rules.Render();
        TimeSpan generated = Stopwatch.GetElapsedTime(start);
        if (!force && text == _lastText)
        {
            return new SyncResult(false, generated, TimeSpan.Zero, text.Length);
        }

        bool first = _existing is null;
        _existing ??= await _iptables.OwnedChainsAsync(cancellationToken).ConfigureAwait(false);
        string apply = rules.Render(_existing["filter"], _existing["nat"]);
        long restoreStart = Stopwatch.GetTimestamp();
        try
        {
            await _iptables.RestoreAsync(apply, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The kernel's state is unknown now: read it again next time and write in full.
            _existing = null;
            _lastText = null;
            throw;
        }

        TimeSpan restored = Stopwatch.GetElapsedTime(restoreStart);
        _existing = new(StringComparer.Ordinal)
        {
            ["filter"] = rules.Filter.Chains.ToHashSet(StringComparer.Ordinal),
            ["nat"] = rules.Nat.Chains.ToHashSet(StringComparer.Ordinal),
        };
        _lastText = text;
        if (first || force)
        {
            await _iptables.EnsureJumpsAsync(cancellationToken).ConfigureAwait(false);
        }

        await _conntrack.ClearStaleAsync(ports, cancellationToken).ConfigureAwait(false);
        return new SyncResult(true, generated, restored, text.Length);
    }
}
