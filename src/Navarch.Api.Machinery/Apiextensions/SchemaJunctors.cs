using System.Text.Json.Nodes;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// kube-openapi's allOf, anyOf, oneOf and not: the value is validated against each nested schema at the same path; the
/// summary error is not a field validation error, so apiextensions-apiserver reports it at the "&lt;nil&gt;" path with
/// an empty value, followed by the errors of the failing alternative that matched best.
/// </summary>
internal static class SchemaJunctors
{
    private const string NoPath = "<nil>";

    public static void Validate(SchemaNode schema, JsonNode value, string path, List<FieldError> errors)
    {
        string name = path.Length == 0 ? "." : path;
        if (schema.AllOf.Count > 0)
        {
            var failures = new List<FieldError>();
            int valid = 0;
            foreach (var sub in schema.AllOf)
            {
                var result = Run(sub, value, path);
                valid += result.Count == 0 ? 1 : 0;
                failures.AddRange(result);
            }

            if (valid != schema.AllOf.Count)
            {
                errors.Add(Summary($"\"{name}\" must validate all the schemas (allOf)"));
                errors.AddRange(failures);
            }
        }

        if (schema.AnyOf.Count > 0)
        {
            List<FieldError>? best = null;
            foreach (var sub in schema.AnyOf)
            {
                var result = Run(sub, value, path);
                if (result.Count == 0)
                {
                    best = null;
                    break;
                }

                if (best is null || result.Count < best.Count)
                {
                    best = result;
                }
            }

            if (best is not null)
            {
                errors.Add(Summary($"\"{name}\" must validate at least one schema (anyOf)"));
                errors.AddRange(best);
            }
        }

        if (schema.OneOf.Count > 0)
        {
            List<FieldError>? best = null;
            int valid = 0;
            foreach (var sub in schema.OneOf)
            {
                var result = Run(sub, value, path);
                if (result.Count == 0)
                {
                    valid++;
                }
                else if (best is null || result.Count < best.Count)
                {
                    best = result;
                }
            }

            if (valid != 1)
            {
                string found = valid == 0 ? "Found none valid" : $"Found {valid} valid alternatives";
                errors.Add(Summary($"\"{name}\" must validate one and only one schema (oneOf). {found}"));
                if (valid == 0 && best is not null)
                {
                    errors.AddRange(best);
                }
            }
        }

        if (schema.Not is { } not && Run(not, value, path).Count == 0)
        {
            errors.Add(Summary($"\"{name}\" must not validate the schema (not)"));
        }
    }

    private static List<FieldError> Run(SchemaNode sub, JsonNode value, string path)
    {
        var result = new List<FieldError>();
        SchemaValueValidator.Validate(sub, value, path, isRoot: false, result);
        return result;
    }

    private static FieldError Summary(string detail) => new(FieldErrorType.Invalid, NoPath, "", detail);
}
