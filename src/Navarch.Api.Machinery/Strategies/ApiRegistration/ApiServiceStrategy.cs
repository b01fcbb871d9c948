using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.ApiRegistration;

/// <summary>apiregistration.k8s.io/v1 APIService (k8s.io/kube-aggregator's registry and validation).</summary>
internal static class ApiServiceStrategy
{
    /// <summary>The strategy: named <c>version.group</c>, columns as <c>kubectl get apiservices</c> prints them.</summary>
    public static ResourceStrategy<V1APIService> Create() => new()
    {
        HasStatus = true,
        NameRule = NameRule.PathSegment,
        Validation = Validate,
        Columns =
        [
            new("Service", "string", "", "The reference to the service that hosts this API endpoint."),
            new("Available", "string", "", "Whether this service is available."),
            TableColumn.AgeColumn,
        ],
        Cells = (a, now) => [Service(a), Available(a), Age.Of(a.Metadata.CreationTimestamp, now)],
    };

    private static string Service(V1APIService a) =>
        a.Spec?.Service is { } s ? $"{s.NamespaceProperty}/{s.Name}" : "Local";

    private static string Available(V1APIService a)
    {
        V1APIServiceCondition? c = a.Status?.Conditions?.FirstOrDefault(c => c.Type == "Available");
        return c is null ? "Unknown" : c.Status == "True" ? "True" : $"{c.Status} ({c.Reason})";
    }

    private static List<FieldError> Validate(V1APIService a)
    {
        var errors = new List<FieldError>();
        V1APIServiceSpec? spec = a.Spec;
        string group = spec?.Group ?? "", version = spec?.Version ?? "";
        string expected = version + "." + group;
        if (a.Metadata.Name != expected)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "metadata.name", a.Metadata.Name, $"must be {expected}"));
        }

        if (version.Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, "spec.version", null, ""));
        }

        if (spec?.GroupPriorityMinimum is not (> 0 and <= 20000))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.groupPriorityMinimum", spec?.GroupPriorityMinimum, "must be positive and less than 20000"));
        }

        if (spec?.VersionPriority is not (> 0 and <= 1000))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.versionPriority", spec?.VersionPriority, "must be positive and less than 1000"));
        }

        if (spec?.Service is null)
        {
            if (spec?.InsecureSkipTLSVerify == true)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, "spec.insecureSkipTLSVerify", true, "must be false if service is nil"));
            }
        }
        else
        {
            if (string.IsNullOrEmpty(spec.Service.NamespaceProperty))
            {
                errors.Add(new FieldError(FieldErrorType.Required, "spec.service.namespace", null, ""));
            }

            if (string.IsNullOrEmpty(spec.Service.Name))
            {
                errors.Add(new FieldError(FieldErrorType.Required, "spec.service.name", null, ""));
            }

            if (spec.Service.Port is { } port && port is < 1 or > 65535)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, "spec.service.port", port, "must be a valid port number between 1 and 65535, inclusive"));
            }

            if (spec.InsecureSkipTLSVerify == true && spec.CaBundle is { Length: > 0 })
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, "spec.insecureSkipTLSVerify", true, "may not be true if caBundle is present"));
            }
        }

        return errors;
    }
}
