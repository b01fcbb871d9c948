namespace Navarch.Api.Validation;

/// <summary>
/// The fixed set of values a field may take, and Kubernetes' <c>field.NotSupported</c> error naming them in the
/// order given (which is the order the API server prints them in).
/// </summary>
internal sealed class SupportedValues(params string[] values)
{
    /// <summary>Port protocols: Services, Endpoints, EndpointSlices, NetworkPolicies.</summary>
    public static SupportedValues Protocols { get; } = new("SCTP", "TCP", "UDP");

    private readonly string _message = "supported values: " + string.Join(", ", values.Select(v => $"\"{v}\""));

    /// <summary>Null when <paramref name="value"/> is one of the set; otherwise a NotSupported error at <paramref name="path"/>.</summary>
    public FieldError? Check(string path, string? value) =>
        value is not null && values.Contains(value, StringComparer.Ordinal) ? null : new FieldError(FieldErrorType.NotSupported, path, value, _message);
}
