namespace Navarch.Api.Validation;

/// <summary>Field checks many kinds share (Kubernetes' <c>ValidateImmutableField</c>, <c>ValidateNonnegativeField</c>, port rules).</summary>
internal static class FieldValidation
{
    private const string PortRange = "must be between 1 and 65535, inclusive";

    /// <summary>The error for a field that may not change, reporting its new value.</summary>
    public static FieldError Immutable(string path, object? value) => new(FieldErrorType.Invalid, path, value, "field is immutable");

    /// <summary>Null when <paramref name="value"/> is zero or more.</summary>
    public static FieldError? NonNegative(string path, long value) =>
        value < 0 ? new FieldError(FieldErrorType.Invalid, path, value, "must be greater than or equal to 0") : null;

    /// <summary>Null when <paramref name="port"/> is a port number (1–65535).</summary>
    public static FieldError? PortNumber(string path, int port) =>
        port is < 1 or > 65535 ? new FieldError(FieldErrorType.Invalid, path, port, PortRange) : null;

    /// <summary>
    /// A port's name in a list of ports (Services, Endpoints): required when there is more than one, and unique among
    /// those named so far (<paramref name="names"/>). Null when fine.
    /// </summary>
    public static FieldError? PortName(string path, string? name, bool required, HashSet<string> names) =>
        required && string.IsNullOrEmpty(name) ? new FieldError(FieldErrorType.Required, path, null, "")
        : !string.IsNullOrEmpty(name) && !names.Add(name) ? new FieldError(FieldErrorType.Duplicate, path, name, "")
        : null;
}
