using System.Text;

namespace Navarch.Proxy.Rules;

/// <summary>
/// The complete filter and nat rules of one sync: the chains the proxy wants and their rules. Rendered as one
/// <c>iptables-restore --noflush</c> input: declaring a chain flushes it, so every owned chain is rewritten whole,
/// and chains owned before but no longer wanted are flushed and deleted in the same transaction.
/// </summary>
internal sealed class RuleSet
{
    /// <summary>The filter table.</summary>
    public Table Filter { get; } = new("filter");

    /// <summary>The nat table.</summary>
    public Table Nat { get; } = new("nat");

    /// <summary>
    /// The restore input for only what changed since <paramref name="previousFilter"/> / <paramref name="previousNat"/>
    /// (snapshots of the last applied set), or null when nothing did.
    /// </summary>
    public string? RenderChanges(IReadOnlyDictionary<string, string> previousFilter, IReadOnlyDictionary<string, string> previousNat)
    {
        var text = new StringBuilder();
        bool filter = Filter.RenderChanges(text, previousFilter);
        bool nat = Nat.RenderChanges(text, previousNat);
        return filter || nat ? text.ToString() : null;
    }

    /// <summary>
    /// The iptables-restore input; <paramref name="staleFilter"/> and <paramref name="staleNat"/> are chains that exist
    /// in the kernel and are to be removed.
    /// </summary>
    public string Render(IReadOnlyCollection<string>? staleFilter = null, IReadOnlyCollection<string>? staleNat = null)
    {
        var text = new StringBuilder(Filter.Length + Nat.Length + 256);
        Filter.Render(text, staleFilter ?? []);
        Nat.Render(text, staleNat ?? []);
        return text.ToString();
    }

    /// <summary>One table's chains (in declaration order) and the rules of each.</summary>
    /// <param name="name">filter or nat.</param>
    internal sealed class Table(string name)
    {
        private readonly List<string> _chains = [];
        private readonly Dictionary<string, StringBuilder> _rules = new(StringComparer.Ordinal);

        /// <summary>The table's name.</summary>
        public string Name => name;

        /// <summary>The declared chains.</summary>
        public IReadOnlyCollection<string> Chains => _rules.Keys;

        /// <summary>Roughly the rendered size.</summary>
        public int Length => _rules.Values.Sum(r => r.Length) + (_chains.Count * 32);

        /// <summary>Declares a chain (once).</summary>
        public void Chain(string chain)
        {
            if (_rules.TryAdd(chain, new StringBuilder()))
            {
                _chains.Add(chain);
            }
        }

        /// <summary>Appends <c>-A chain args</c> (declaring the chain if needed).</summary>
        public void Rule(string chain, string args)
        {
            Chain(chain);
            _rules[chain].Append("-A ").Append(chain).Append(' ').Append(args).Append('\n');
        }

        /// <summary>Each chain's rules as text, to compare the next sync with.</summary>
        public Dictionary<string, string> Snapshot() => _rules.ToDictionary(r => r.Key, r => r.Value.ToString(), StringComparer.Ordinal);

        /// <summary>Writes <c>*table</c>, the declarations, the rules, deletions of <paramref name="stale"/> chains and <c>COMMIT</c>.</summary>
        public void Render(StringBuilder text, IReadOnlyCollection<string> stale) => Render(text, _chains, stale);

        /// <summary>
        /// Like <see cref="Render(StringBuilder, IReadOnlyCollection{string})"/>, but only the chains whose rules differ
        /// from <paramref name="previous"/> (kube-proxy's partial sync: with --noflush, a chain not named is left as
        /// it is). Returns false when nothing differs.
        /// </summary>
        public bool RenderChanges(StringBuilder text, IReadOnlyDictionary<string, string> previous)
        {
            List<string> changed = _chains.Where(c => !previous.TryGetValue(c, out string? before) || before != _rules[c].ToString()).ToList();
            List<string> stale = previous.Keys.Where(c => !_rules.ContainsKey(c)).ToList();
            if (changed.Count == 0 && stale.Count == 0)
            {
                return false;
            }

            Render(text, changed, stale);
            return true;
        }

        private void Render(StringBuilder text, List<string> chains, IReadOnlyCollection<string> stale)
        {
            text.Append('*').Append(name).Append('\n');
            foreach (string chain in chains)
            {
                text.Append(':').Append(chain).Append(" - [0:0]\n");
            }

            List<string> remove = stale.Where(c => !_rules.ContainsKey(c)).Order(StringComparer.Ordinal).ToList();
            foreach (string chain in remove)
            {
                text.Append(':').Append(chain).Append(" - [0:0]\n");
            }

            foreach (string chain in chains)
            {
                text.Append(_rules[chain]);
            }

            foreach (string chain in remove)
            {
                text.Append("-X ").Append(chain).Append('\n');
            }

            text.Append("COMMIT\n");
        }
    }
}
