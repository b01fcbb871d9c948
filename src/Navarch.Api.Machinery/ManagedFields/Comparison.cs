namespace Navarch.Api.ManagedFields;

/// <summary>What changed between two versions of an object, as field sets (structured-merge-diff's <c>typed.Comparison</c>).</summary>
/// <param name="Added">Paths present only in the new version (with everything under them).</param>
/// <param name="Modified">Paths whose value changed.</param>
/// <param name="Removed">Paths present only in the old version (with everything under them).</param>
public sealed record Comparison(FieldSet Added, FieldSet Modified, FieldSet Removed)
{
    /// <summary>Nothing changed.</summary>
    public bool IsSame => Added.IsEmpty && Modified.IsEmpty && Removed.IsEmpty;

    /// <summary>The paths a writer of the new version now owns: added and modified.</summary>
    public FieldSet Changed => Added.Union(Modified);

    /// <summary>The comparison restricted by <paramref name="filter"/>.</summary>
    public Comparison Filter(Func<FieldSet, FieldSet> filter) => new(filter(Added), filter(Modified), filter(Removed));
}
