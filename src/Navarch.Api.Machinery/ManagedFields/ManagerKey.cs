namespace Navarch.Api.ManagedFields;

/// <summary>
/// Who owns a field set (the identity of a <c>managedFields</c> entry, apiserver's manager identifier): the manager,
/// the operation, the subresource, and — for updates only — the apiVersion, so an applier keeps one entry across versions.
/// </summary>
public sealed record ManagerKey(string Manager, string Operation, string? ApiVersion, string? Subresource)
{
    /// <summary>The operation of an applier.</summary>
    public const string Apply = "Apply";

    /// <summary>The operation of every other write.</summary>
    public const string Update = "Update";

    /// <summary>The manager as conflict messages print it: <c>"name"</c>, <c>with subresource "status"</c>, <c>using apps/v1</c> for updates.</summary>
    public string Describe()
    {
        string text = Quote(Manager);
        if (!string.IsNullOrEmpty(Subresource))
        {
            text += $" with subresource {Quote(Subresource)}";
        }

        return Operation == Update ? $"{text} using {ApiVersion}" : text;
    }

    /// <summary>Go's %q for the plain names managers have.</summary>
    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
