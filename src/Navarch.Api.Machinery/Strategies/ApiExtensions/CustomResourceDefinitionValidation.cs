using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.ApiExtensions;

/// <summary>apiextensions-apiserver's <c>ValidateCustomResourceDefinition</c>.</summary>
internal static class CustomResourceDefinitionValidation
{
    private static readonly SupportedValues Scopes = new("Cluster", "Namespaced");

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
    }
}
