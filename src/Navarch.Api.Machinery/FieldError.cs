namespace Navarch.Api;

/// <summary>The kinds of field error Kubernetes reports in a 422 Invalid status (<c>field.ErrorType</c>).</summary>
public enum FieldErrorType
{
    /// <summary>"FieldValueRequired": a required field is missing.</summary>
    Required,

    /// <summary>"FieldValueInvalid": the value is malformed or not allowed.</summary>
    Invalid,

    /// <summary>"FieldValueNotSupported": the value is not one of a fixed set.</summary>
    NotSupported,

    /// <summary>"FieldValueDuplicate": the value is a duplicate of another.</summary>
    Duplicate,

    /// <summary>"FieldValueNotFound": the value names something that does not exist.</summary>
    NotFound,

    /// <summary>"FieldValueForbidden": the field may not be set (e.g. immutable, or not allowed here).</summary>
    Forbidden,

    /// <summary>"FieldValueTooLong": the value is too long.</summary>
    TooLong,

    /// <summary>"FieldValueTooMany": too many items.</summary>
    TooMany,
}

/// <summary>One validation error on one field path, as Kubernetes' <c>field.Error</c>.</summary>
/// <param name="Type">The kind of error.</param>
/// <param name="Field">The JSON path of the field, e.g. "spec.template.spec.containers[0].image".</param>
/// <param name="BadValue">The offending value, printed in the message (null when not applicable).</param>
/// <param name="Detail">The explanation, e.g. "must be no more than 63 characters".</param>
public sealed record FieldError(FieldErrorType Type, string Field, object? BadValue, string Detail)
{
    /// <summary>Kubernetes' <c>metav1.CauseType</c> string for this error's type.</summary>
    public string Reason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.NotFound => "FieldValueNotFound",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        _ => "FieldValueInvalid",
    };

    /// <summary>The error text without the field, as Kubernetes prints it, e.g. <c>Invalid value: "x": detail</c>.</summary>
    public string ErrorBody
    {
        get
        {
            string label = Type switch
            {
                FieldErrorType.Required => "Required value",
                FieldErrorType.Invalid => "Invalid value",
                FieldErrorType.NotSupported => "Unsupported value",
                FieldErrorType.Duplicate => "Duplicate value",
                FieldErrorType.NotFound => "Not found",
                FieldErrorType.Forbidden => "Forbidden",
                FieldErrorType.TooLong => "Too long",
                FieldErrorType.TooMany => "Too many",
                _ => "Invalid value",
            };
            bool showValue = Type is FieldErrorType.Invalid or FieldErrorType.NotSupported or FieldErrorType.Duplicate or FieldErrorType.NotFound or FieldErrorType.TooMany;
            string value = showValue ? ": " + FormatValue(BadValue) : "";
            return string.IsNullOrEmpty(Detail) ? label + value : $"{label}{value}: {Detail}";
        }
    }

    /// <summary>The full error, e.g. <c>metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain ...</c>.</summary>
    public override string ToString() => $"{Field}: {ErrorBody}";

    private static string FormatValue(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };
}
