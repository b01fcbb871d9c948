using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>
/// Kubernetes' object-count evaluator: one per object, under <c>count/&lt;resource&gt;.&lt;group&gt;</c> and, for the core
/// resources quota named before that form existed, under their plain name too (configmaps, secrets, ...).
/// </summary>
public sealed class ObjectCountQuotaEvaluator(string group, string resource) : QuotaEvaluator
{
    private static readonly HashSet<string> LegacyNames = new(["configmaps", "secrets", "replicationcontrollers", "resourcequotas"], StringComparer.Ordinal);

    /// <inheritdoc />
    public override string Group => group;

    /// <inheritdoc />
    public override string Resource => resource;

    private IEnumerable<string> Names => group.Length == 0 && LegacyNames.Contains(resource) ? [ObjectCountName, resource] : [ObjectCountName];

    /// <inheritdoc />
    public override IReadOnlyList<string> MatchingResources(IEnumerable<string> names) => names.Intersect(Names, StringComparer.Ordinal).ToList();

    /// <inheritdoc />
    public override Dictionary<string, Quantity> Usage(object obj, DateTimeOffset now) =>
        Names.ToDictionary(n => n, _ => Quantity.FromUnits(1), StringComparer.Ordinal);
}
