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

    /// <summary>One table's chains (in declaration order) and rules.</summary>
    /// <param name="name">filter or nat.</param>
    internal sealed class Table(string name)
    {
        private readonly List<string> _chains = [];
        private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
        private readonly StringBuilder _rules = new();

        /// <summary>The table's name.</summary>
        public string Name => name;

        /// <summary>The declared chains.</summary>
        public IReadOnlyCollection<string> Chains => _declared;

        /// <summary>Roughly the rendered size.</summary>
        public int Length => _rules.Length + (_chains.Count * 32);

        /// <summary>Declares a chain (once).</summary>
        public void Chain(string chain)
        {
            if (_declared.Add(chain))
            {
                _chains.Add(chain);
            }
        }

        /// <summary>Appends <c>-A chain args</c>.</summary>
        public void Rule(string chain, string args) => _rules.Append("-A ").Append(chain).Append(' ').Append(args).Append('\n');

        /// <summary>Writes <c>*table</c>, the declarations, the rules, deletions and <c>COMMIT</c>.</summary>
        public void Render(StringBuilder text, IReadOnlyCollection<string> stale)
        {
            text.Append('*').Append(name).Append('\n');
            foreach (string chain in _chains)
            {
                text.Append(':').Append(chain).Append(" - [0:0]\n");
            }

            List<string> remove = stale.Where(c => !_declared.Contains(c)).Order(StringComparer.Ordinal).ToList();
            foreach (string chain in remove)
            {
                text.Append(':').Append(chain).Append(" - [0:0]\n");
            }

            text.Append(_rules);
            foreach (string chain in remove)
            {
                text.Append("-X ").Append(chain).Append('\n');
            }

            text.Append("COMMIT\n");
        }
    }
}
