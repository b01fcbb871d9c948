namespace Navarch.Api.Strategies.Core;

/// <summary>What ConfigMaps and Secrets share: their data keys (<c>IsConfigMapKey</c>), their 1 MiB size limit and the <c>immutable</c> flag.</summary>
internal static class ConfigDataValidation
{
    /// <summary>core.MaxSecretSize: the most data, in bytes, a ConfigMap or a Secret may hold (1 MiB).</summary>
    public const long MaxSize = 1024 * 1024;

    /// <summary>The TooLong error when <paramref name="size"/> bytes of data are more than <see cref="MaxSize"/>, reported at <paramref name="path"/>.</summary>
    public static FieldError? TooLong(long size, string path) =>
        size > MaxSize ? new FieldError(FieldErrorType.TooLong, path, "", $"must have at most {MaxSize} bytes") : null;

    /// <summary>Every key is a valid config key, reported as <c>path[key]</c>.</summary>
    public static IEnumerable<FieldError> Keys(IEnumerable<string>? keys, string path)
    {
        foreach (string key in keys ?? [])
        {
            if (key.Length == 0 || key.Length > 253 || key is "." or ".." || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}[{key}]", key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
            }
        }
    }

    /// <summary>Once the old object was marked immutable, its data may not change.</summary>
    public static IEnumerable<FieldError> Immutable(bool? immutable, Func<bool> unchanged)
    {
        if (immutable == true && !unchanged())
        {
            yield return new FieldError(FieldErrorType.Forbidden, "data", null, "field is immutable when `immutable` is set");
        }
    }
}
