using System.Security.Cryptography.X509Certificates;

namespace Navarch.Api.Certificates;

/// <summary>Reading attributes of an X.500 name (a certificate's or request's subject) by OID.</summary>
public static class DistinguishedNames
{
    /// <summary>Every value of attribute <paramref name="oid"/> (e.g. <c>2.5.4.10</c>, the organization), in order.</summary>
    public static IReadOnlyList<string> All(this X500DistinguishedName name, string oid) =>
        [.. name.EnumerateRelativeDistinguishedNames().Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == oid).Select(r => r.GetSingleElementValue() ?? "")];

    /// <summary>The first value of attribute <paramref name="oid"/> (e.g. <c>2.5.4.3</c>, the common name), or null.</summary>
    public static string? GetSingle(this X500DistinguishedName name, string oid) => name.All(oid) is [var first, ..] ? first : null;
}
