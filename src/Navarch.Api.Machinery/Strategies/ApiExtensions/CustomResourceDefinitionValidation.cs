using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.ApiExtensions;

/// <summary>apiextensions-apiserver's <c>ValidateCustomResourceDefinition</c>.</summary>
internal static class CustomResourceDefinitionValidation
{
    private static readonly SupportedValues Scopes = new("Cluster", "Namespaced");
    private static readonly SupportedValues ConversionStrategies = new("None", "Webhook");
    private static readonly string[] ConversionReviewVersions = ["v1", "v1beta1"];
    private static readonly System.Text.RegularExpressions.Regex Dns1035Label = new("^[a-z]([-a-z0-9]*[a-z0-9])?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Group, names, scope, versions with one storage version.</summary>
    public static IEnumerable<FieldError> Validate(V1CustomResourceDefinition crd)
    {
        V1CustomResourceDefinitionSpec? spec = crd.Spec;
        if (string.IsNullOrEmpty(spec?.Group))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.group", null, "");
        }
        else if (!spec.Group.Contains('.', StringComparison.Ordinal))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.group", spec.Group, "should be a domain with at least one dot");
        }

        if (string.IsNullOrEmpty(spec?.Names?.Plural))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.names.plural", null, "");
        }

        if (string.IsNullOrEmpty(spec?.Names?.Kind))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.names.kind", null, "");
        }

        if (spec?.Names?.Plural is { Length: > 0 } plural && spec.Group is { Length: > 0 } group && crd.Metadata.Name != $"{plural}.{group}")
        {
            yield return new FieldError(FieldErrorType.Invalid, "metadata.name", crd.Metadata.Name, "must be spec.names.plural+\".\"+spec.group");
        }

        if (Scopes.Check("spec.scope", spec?.Scope ?? "") is { } badScope)
        {
            yield return badScope;
        }

        IList<V1CustomResourceDefinitionVersion> versions = spec?.Versions ?? [];
        if (versions.Count == 0 || versions.Count(v => v.Storage) != 1)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.versions", null, "must have exactly one version marked as storage version");
        }

        for (int i = 0; i < versions.Count; i++)
        {
            foreach (var error in Apiextensions.StructuralSchemaValidation.Validate(versions[i].Schema?.OpenAPIV3Schema, $"spec.versions[{i}].schema.openAPIV3Schema"))
            {
                yield return error;
            }
        }

        foreach (FieldError error in Conversion(spec?.Conversion))
        {
            yield return error;
        }
    }

    /// <summary>
    /// apiextensions-apiserver's validateCustomResourceConversion. Its errors name the internal version's fields
    /// (<c>spec.conversion.webhookClientConfig</c>, <c>spec.conversion.conversionReviewVersions</c>), as kube-apiserver reports them.
    /// </summary>
    private static IEnumerable<FieldError> Conversion(V1CustomResourceConversion? conversion)
    {
        if (conversion is null)
        {
            yield break;
        }

        const string path = "spec.conversion";
        if (string.IsNullOrEmpty(conversion.Strategy))
        {
            yield return new FieldError(FieldErrorType.Required, path + ".strategy", null, "");
        }
        else if (ConversionStrategies.Check(path + ".strategy", conversion.Strategy) is { } unsupported)
        {
            yield return unsupported;
        }

        Apiextensionsv1WebhookClientConfig? config = conversion.Webhook?.ClientConfig;
        IList<string>? reviewVersions = conversion.Webhook?.ConversionReviewVersions;
        if (conversion.Strategy != "Webhook")
        {
            if (config is not null)
            {
                yield return new FieldError(FieldErrorType.Forbidden, path + ".webhookClientConfig", null, "should not be set when strategy is not set to Webhook");
            }

            if (reviewVersions is { Count: > 0 })
            {
                yield return new FieldError(FieldErrorType.Forbidden, path + ".conversionReviewVersions", null, "should not be set when strategy is not set to Webhook");
            }

            yield break;
        }

        if (config is null)
        {
            yield return new FieldError(FieldErrorType.Required, path + ".webhookClientConfig", null, "required when strategy is set to Webhook");
        }
        else
        {
            var service = config.Service is { } s ? new AdmissionRegistration.WebhookValidation.ServiceReference(s.Name, s.NamespaceProperty, s.Path, s.Port) : null;
            foreach (FieldError error in AdmissionRegistration.WebhookValidation.ClientConfig(config.Url, service, path + ".webhookClientConfig"))
            {
                yield return error;
            }
        }

        string versionsPath = path + ".conversionReviewVersions";
        if (reviewVersions is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, versionsPath, null, "");
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < reviewVersions.Count; i++)
        {
            string version = reviewVersions[i];
            if (!seen.Add(version))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{versionsPath}[{i}]", version, "duplicate version");
                continue;
            }

            if (!Dns1035Label.IsMatch(version) || version.Length > 63)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{versionsPath}[{i}]", version,
                    version.Length > 63 ? "must be no more than 63 characters"
                    : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
            }
        }

        if (!reviewVersions.Any(v => ConversionReviewVersions.Contains(v)))
        {
            yield return new FieldError(FieldErrorType.Invalid, versionsPath, AdmissionRegistration.WebhookValidation.GoSlice("string", reviewVersions), "must include at least one of v1, v1beta1");
        }
    }
}
