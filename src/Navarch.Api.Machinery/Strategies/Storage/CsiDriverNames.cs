using System.Text.RegularExpressions;

namespace Navarch.Api.Strategies.Storage;

/// <summary>Kubernetes' ValidateCSIDriverName: at most 63 characters, lower-case alphanumerics, '-' and '.', alphanumeric at both ends.</summary>
internal static partial class CsiDriverNames
{
    /// <summary>The problems with <paramref name="name"/> at <paramref name="path"/> (required when empty).</summary>
    public static IEnumerable<FieldError> Validate(string path, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "");
            yield break;
        }

        if (name.Length > 63)
        {
            yield return new FieldError(FieldErrorType.TooLong, path, name, "must have at most 63 bytes");
        }

        if (!Pattern().IsMatch(name))
        {
            yield return new FieldError(FieldErrorType.Invalid, path, name,
                "a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Pattern();
}
