using System.Text.Json.Nodes;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// The OpenAPI value validation kube-openapi's validate package applies to a custom resource, with apiextensions-apiserver's
/// translation of its errors into field errors (<c>Required value</c>, <c>Unsupported value</c>, <c>Too long</c>,
/// <c>Too many</c>, otherwise <c>Invalid value: v: spec.x in body ...</c>).
/// </summary>
internal static class SchemaValueValidator
{
    public static void Validate(SchemaNode schema, JsonNode? value, string path, bool isRoot, List<FieldError> errors)
    {
        if (value is null)
        {
            if (!schema.Nullable && schema.Type is not null)
            {
                errors.Add(TypeError(path, schema.Type, "null"));
            }

            return;
        }

        if (!CheckType(schema, value, path, errors))
        {
            return;
        }

        CheckEnum(schema, value, path, errors);
        if (schema.HasJunctors)
        {
            SchemaJunctors.Validate(schema, value, path, errors);
        }

        switch (value)
        {
            case JsonObject obj:
                ValidateObject(schema, obj, path, isRoot, errors);
                break;
            case JsonArray array:
                ValidateArray(schema, array, path, errors);
                break;
            default:
                ValidateScalar(schema, value, path, errors);
                break;
        }
    }

    private static bool CheckType(SchemaNode schema, JsonNode value, string path, List<FieldError> errors)
    {
        string actual = SchemaPaths.JsonType(value);
        if (schema.IntOrString)
        {
            if (actual is not ("integer" or "string"))
            {
                errors.Add(TypeError(path, "integer,string", actual));
                return false;
            }

            return true;
        }

        bool ok = schema.Type switch
        {
            null => true,
            "number" => actual is "number" or "integer",
            "integer" => actual == "integer",
            _ => actual == schema.Type,
        };
        if (!ok)
        {
            errors.Add(TypeError(path, schema.Type!, actual));
        }

        return ok;
    }

    private static FieldError TypeError(string path, string type, string actual) =>
        new(FieldErrorType.Invalid, path, actual, $"{Name(path)} in body must be of type {type}: \"{actual}\"");

    private static void CheckEnum(SchemaNode schema, JsonNode value, string path, List<FieldError> errors)
    {
        if (schema.Enum is not { Count: > 0 } allowed || allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            return;
        }

        string supported = string.Join(", ", allowed.Select(a => a is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? "\"" + v.GetValue<string>() + "\""
            : "\"" + (a?.ToJsonString() ?? "null") + "\""));
        errors.Add(new FieldError(FieldErrorType.NotSupported, path, SchemaPaths.BadValue(value), "supported values: " + supported));
    }

    private static void ValidateObject(SchemaNode schema, JsonObject obj, string path, bool isRoot, List<FieldError> errors)
    {
        foreach (string required in schema.Required)
        {
            if (!obj.ContainsKey(required))
            {
                errors.Add(new FieldError(FieldErrorType.Required, SchemaPaths.Child(path, required), null, ""));
            }
        }

        if (schema.MaxProperties is { } maxProps && obj.Count > maxProps)
        {
            errors.Add(new FieldError(FieldErrorType.TooMany, path, (long)obj.Count, $"must have at most {maxProps} items"));
        }

        if (schema.MinProperties is { } minProps && obj.Count < minProps)
        {
            errors.Add(Invalid(path, (long)obj.Count, $"should have at least {minProps} properties"));
        }

        foreach (var (key, child) in obj)
        {
            // The object meta of a resource is validated as ObjectMeta, not by the schema; apiVersion and kind by the API.
            if (isRoot && key is "apiVersion" or "kind" && !schema.Properties.ContainsKey(key))
            {
                continue;
            }

            if (schema.Properties.TryGetValue(key, out var property))
            {
                if (isRoot && key == "metadata")
                {
                    ValidateRootMetadata(property, child, errors);
                    continue;
                }

                Validate(property, child, SchemaPaths.Child(path, key), isRoot: false, errors);
            }
            else if (schema.AdditionalProperties is { } additional)
            {
                Validate(additional, child, SchemaPaths.Child(path, key), isRoot: false, errors);
            }
        }

        if (schema.EmbeddedResource)
        {
            ValidateEmbeddedResource(obj, path, errors);
        }
    }

    // Kubernetes lets the root schema restrict only metadata.name and metadata.generateName.
    private static void ValidateRootMetadata(SchemaNode metadata, JsonNode? value, List<FieldError> errors)
    {
        if (value is not JsonObject meta)
        {
            return;
        }

        foreach (string field in new[] { "name", "generateName" })
        {
            if (metadata.Properties.TryGetValue(field, out var schema) && meta[field] is { } v)
            {
                Validate(schema, v, "metadata." + field, isRoot: false, errors);
            }
        }
    }

    // apiextensions-apiserver's objectmeta validation of an x-kubernetes-embedded-resource.
    private static void ValidateEmbeddedResource(JsonObject obj, string path, List<FieldError> errors)
    {
        if (obj["apiVersion"] is not JsonValue apiVersion || apiVersion.GetValueKind() != System.Text.Json.JsonValueKind.String
            || apiVersion.GetValue<string>().Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, SchemaPaths.Child(path, "apiVersion"), null, "must not be empty"));
        }
        else if (apiVersion.GetValue<string>().Split('/') is { Length: > 2 } || apiVersion.GetValue<string>().EndsWith('/'))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, SchemaPaths.Child(path, "apiVersion"), apiVersion.GetValue<string>(),
                $"unexpected GroupVersion string: {apiVersion.GetValue<string>()}"));
        }

        if (obj["kind"] is not JsonValue kind || kind.GetValueKind() != System.Text.Json.JsonValueKind.String || kind.GetValue<string>().Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, SchemaPaths.Child(path, "kind"), null, "must not be empty"));
        }

        if (obj["metadata"] is { } metadata and not JsonObject)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, SchemaPaths.Child(path, "metadata"), SchemaPaths.JsonType(metadata),
                $"{Name(SchemaPaths.Child(path, "metadata"))} in body must be of type object: \"{SchemaPaths.JsonType(metadata)}\""));
        }
    }

    private static void ValidateArray(SchemaNode schema, JsonArray array, string path, List<FieldError> errors)
    {
        if (schema.MaxItems is { } maxItems && array.Count > maxItems)
        {
            errors.Add(new FieldError(FieldErrorType.TooMany, path, (long)array.Count, $"must have at most {maxItems} items"));
        }

        if (schema.MinItems is { } minItems && array.Count < minItems)
        {
            errors.Add(Invalid(path, (long)array.Count, $"should have at least {minItems} items"));
        }

        if (schema.UniqueItems && HasDuplicates(array))
        {
            errors.Add(Invalid(path, "", "shouldn't contain duplicates"));
        }

        if (schema.Items is { } items)
        {
            for (int i = 0; i < array.Count; i++)
            {
                Validate(items, array[i], SchemaPaths.Index(path, i), isRoot: false, errors);
            }
        }

        SchemaListTypes.Validate(schema, array, path, errors);
    }

    private static bool HasDuplicates(JsonArray array)
    {
        for (int i = 0; i < array.Count; i++)
        {
            for (int j = i + 1; j < array.Count; j++)
            {
                if (JsonNode.DeepEquals(array[i], array[j]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void ValidateScalar(SchemaNode schema, JsonNode value, string path, List<FieldError> errors)
    {
        object? bad = SchemaPaths.BadValue(value);
        if (bad is string s)
        {
            if (schema.MaxLength is { } maxLength && s.EnumerateRunes().Count() > maxLength)
            {
                errors.Add(new FieldError(FieldErrorType.TooLong, path, s, $"may not be more than {maxLength} bytes"));
            }

            if (schema.MinLength is { } minLength && s.EnumerateRunes().Count() < minLength)
            {
                errors.Add(Invalid(path, s, $"should be at least {minLength} chars long"));
            }

            if (schema.PatternRegex is { } regex && !Matches(regex, s))
            {
                errors.Add(Invalid(path, s, $"should match '{schema.Pattern}'"));
            }

            if (schema.Format is { } format && !schema.IntOrString && !SchemaFormats.IsValid(format, s))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, path, s, $"{Name(path)} in body must be of type {format}: \"{s}\""));
            }
        }
        else if (bad is long or double)
        {
            double number = Convert.ToDouble(bad, System.Globalization.CultureInfo.InvariantCulture);
            if (schema.Maximum is { } max && (schema.ExclusiveMaximum ? number >= max : number > max))
            {
                errors.Add(Invalid(path, bad, (schema.ExclusiveMaximum ? "should be less than " : "should be less than or equal to ") + SchemaPaths.Bound(max)));
            }

            if (schema.Minimum is { } min && (schema.ExclusiveMinimum ? number <= min : number < min))
            {
                errors.Add(Invalid(path, bad, (schema.ExclusiveMinimum ? "should be greater than " : "should be greater than or equal to ") + SchemaPaths.Bound(min)));
            }

            if (schema.MultipleOf is { } factor && factor > 0 && Math.Abs(Math.IEEERemainder(number, factor)) > 1e-9 * Math.Max(1, Math.Abs(number)))
            {
                errors.Add(Invalid(path, bad, "should be a multiple of " + SchemaPaths.Bound(factor)));
            }
        }
    }

    private static bool Matches(System.Text.RegularExpressions.Regex regex, string s)
    {
        try
        {
            return regex.IsMatch(s);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static FieldError Invalid(string path, object? value, string detail) =>
        new(FieldErrorType.Invalid, path, value, $"{Name(path)} in body {detail}");

    // kube-openapi names the root "."; apiextensions-apiserver drops it from the field path but keeps it in the message.
    private static string Name(string path) => path.Length == 0 ? "." : path;
}
