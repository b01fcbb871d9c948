namespace Navarch.ApiServer.Http;

/// <summary>A list of strings printed as Go's <c>%#v</c> prints a <c>[]string</c> in a field error: <c>[]string{"a", "b"}</c>.</summary>
internal sealed record GoStrings(IReadOnlyList<string> Values)
{
    public override string ToString() =>
        "[]string{" + string.Join(", ", Values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "}";
}
