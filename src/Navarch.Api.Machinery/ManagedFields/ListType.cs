namespace Navarch.Api.ManagedFields;

/// <summary>How a list merges and is owned (<c>x-kubernetes-list-type</c>).</summary>
public enum ListType
{
    /// <summary>Replaced and owned as a whole.</summary>
    Atomic,

    /// <summary>Scalars, each owned by value.</summary>
    Set,

    /// <summary>Objects, each identified and owned by its key fields.</summary>
    Map,
}
