using System.Text.RegularExpressions;
using k8s.Models;
using Navarch.Api.Cel;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// The checks apiextensions-apiserver makes on a v1 CRD's <c>openAPIV3Schema</c> that depend on the schema: that it is
/// structural (<c>ValidateStructural</c>), the v1 restrictions (no <c>$ref</c>, <c>uniqueItems</c>,
/// <c>additionalProperties: false</c>), the list and map types, and that every <c>x-kubernetes-validations</c> rule and
/// messageExpression compiles.
/// </summary>
public static class StructuralSchemaValidation
{
    private enum Level
    {
        Root,
        Item,
        Field,
    }

    private static readonly string[] Reasons = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];

    /// <summary>The errors of one version's schema; <paramref name="path"/> is e.g. "spec.versions[0].schema.openAPIV3Schema".</summary>
    public static IReadOnlyList<FieldError> Validate(V1JSONSchemaProps? schema, string path)
    {
        var errors = new List<FieldError>();
        if (schema is not null)
        {
            Check(schema, Level.Root, path, errors);
        }

        return [.. errors.OrderBy(e => e.ToString(), StringComparer.Ordinal)];
    }

    private static void Check(V1JSONSchemaProps s, Level level, string path, List<FieldError> errors)
    {
        var items = SchemaNode.ReadSchemaOrBool(s.Items, out _);
        var additional = SchemaNode.ReadSchemaOrBool(s.AdditionalProperties, out bool? additionalAllowed);
        bool intOrString = s.XKubernetesIntOrString == true;
        bool preserve = s.XKubernetesPreserveUnknownFields == true;
        bool embedded = s.XKubernetesEmbeddedResource == true;
        string type = s.Type ?? "";

        if (type == "array" && items is null)
        {
            errors.Add(new FieldError(FieldErrorType.Required, Child(path, "items"), null, "must be specified"));
        }

        if (s.Items is not null && items is null && s.Items is not bool)
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "items"), null, "items must be a schema object and not an array"));
        }

        if (items is not null)
        {
            Check(items, Level.Item, Child(path, "items"), errors);
        }

        foreach (var (name, property) in s.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            Check(property, Level.Field, $"{Child(path, "properties")}[{name}]", errors);
        }

        if (additional is not null || additionalAllowed is not null)
        {
            if (level == Level.Root)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "additionalProperties"), null, "must not be used at the root"));
            }

            if (additionalAllowed == false)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "additionalProperties"), null, "additionalProperties cannot be set to false"));
            }

            if (s.Properties is { Count: > 0 })
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "additionalProperties"), null, "additionalProperties and properties are mutual exclusive"));
            }

            if (additional is not null)
            {
                Check(additional, Level.Field, Child(path, "additionalProperties"), errors);
            }

            if (embedded)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "additionalProperties"), null, "must not be used if x-kubernetes-embedded-resource is set"));
            }
        }

        if (intOrString && preserve)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"));
        }

        if (intOrString && embedded)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"));
        }

        if (s.XKubernetesPreserveUnknownFields == false)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"));
        }

        if (embedded && type != "object")
        {
            errors.Add(type.Length == 0
                ? new FieldError(FieldErrorType.Required, Child(path, "type"), null, "must be object if x-kubernetes-embedded-resource is true")
                : new FieldError(FieldErrorType.Invalid, Child(path, "type"), type, "must be object if x-kubernetes-embedded-resource is true"));
        }
        else if (type.Length == 0 && !intOrString && !preserve)
        {
            errors.Add(new FieldError(FieldErrorType.Required, Child(path, "type"), null, level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }

        if (level == Level.Root && type.Length > 0 && type != "object")
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "type"), type, "must be object at the root"));
        }

        CheckResourceFields(s, level, embedded, path, errors);

        if (embedded && !preserve && s.Properties is not { Count: > 0 })
        {
            errors.Add(new FieldError(FieldErrorType.Required, Child(path, "properties"), null,
                "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }

        if (!string.IsNullOrEmpty(s.RefProperty))
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "$ref"), null, "$ref is not supported"));
        }

        if (s.UniqueItems == true)
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "uniqueItems"), null, "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        }

        if (!string.IsNullOrEmpty(s.Pattern) && !IsRegex(s.Pattern, out string? regexError))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "pattern"), s.Pattern, "must be a valid regular expression, but isn't: " + regexError));
        }

        CheckJunctors(s, path, errors);
        CheckListAndMapTypes(s, items, path, errors);
        CheckRules(s, path, errors);
        CheckDefault(s, level, path, errors);
    }

    // A default must survive pruning unchanged and validate against its own schema, as apiextensions-apiserver checks
    // (otherwise every object defaulted from it would be refused or silently changed).
    private static void CheckDefault(V1JSONSchemaProps s, Level level, string path, List<FieldError> errors)
    {
        if (s.DefaultProperty is null || level == Level.Root)
        {
            return;
        }

        string defaultPath = Child(path, "default");
        SchemaNode node;
        try
        {
            node = SchemaNode.From(s);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return;
        }

        var value = node.Default?.DeepClone();
        var pruned = new List<string>();
        SchemaPruner.Prune(node, value, "", node.EmbeddedResource, pruned);
        if (pruned.Count > 0)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, defaultPath, node.Default?.ToJsonString(), "must not have unknown fields"));
            return;
        }

        var invalid = new List<FieldError>();
        SchemaValueValidator.Validate(node, value, "", isRoot: false, invalid);
        foreach (var error in invalid)
        {
            string field = error.Field.Length == 0 ? defaultPath : error.Field.StartsWith('[') || error.Field == "<nil>" ? defaultPath + (error.Field == "<nil>" ? "" : error.Field) : defaultPath + "." + error.Field;
            errors.Add(error with { Field = field });
        }
    }

    private static void CheckResourceFields(V1JSONSchemaProps s, Level level, bool embedded, string path, List<FieldError> errors)
    {
        if (level != Level.Root && !embedded || s.Properties is null)
        {
            return;
        }

        foreach (var (name, expected) in new[] { ("kind", "string"), ("apiVersion", "string"), ("metadata", "object") })
        {
            if (s.Properties.TryGetValue(name, out var field) && field.Type != expected)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, $"{Child(path, "properties")}[{name}].type", field.Type ?? "", "must be " + expected));
            }
        }

        if (level == Level.Root && s.Properties.TryGetValue("metadata", out var metadata)
            && (metadata.Properties?.Keys.Any(k => k is not ("name" or "generateName")) == true || metadata.XKubernetesValidations is { Count: > 0 }
                || metadata.AdditionalProperties is not null || metadata.Required is { Count: > 0 }))
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, $"{Child(path, "properties")}[metadata]", null,
                "must not specify anything other than name and generateName, but metadata is implicitly specified"));
        }
    }

    // Inside allOf/anyOf/oneOf/not only value validations may appear (the int-or-string anyOf pattern aside).
    private static void CheckJunctors(V1JSONSchemaProps s, string path, List<FieldError> errors)
    {
        bool intOrStringPattern = s.AnyOf is { Count: 2 } any && any[0].Type == "integer" && any[1].Type == "string";
        void Nested(IList<V1JSONSchemaProps>? list, string name, bool skipTypes)
        {
            for (int i = 0; i < (list?.Count ?? 0); i++)
            {
                CheckNested(list![i], $"{Child(path, name)}[{i}]", skipTypes, errors);
            }
        }

        Nested(s.AnyOf, "anyOf", intOrStringPattern);
        Nested(s.AllOf, "allOf", false);
        Nested(s.OneOf, "oneOf", false);
        if (s.Not is not null)
        {
            CheckNested(s.Not, Child(path, "not"), false, errors);
        }
    }

    private static void CheckNested(V1JSONSchemaProps v, string path, bool skipType, List<FieldError> errors)
    {
        void Forbid(bool present, string field, string what)
        {
            if (present)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, field), null, what));
            }
        }

        Forbid(!skipType && !string.IsNullOrEmpty(v.Type), "type", "must be empty to be structural");
        Forbid(v.AdditionalProperties is not null, "additionalProperties", "must be undefined to be structural");
        Forbid(v.DefaultProperty is not null, "default", "must be undefined to be structural");
        Forbid(!string.IsNullOrEmpty(v.Title), "title", "must be empty to be structural");
        Forbid(!string.IsNullOrEmpty(v.Description), "description", "must be empty to be structural");
        Forbid(v.Nullable == true, "nullable", "must be false to be structural");
        Forbid(v.XKubernetesPreserveUnknownFields == true, "x-kubernetes-preserve-unknown-fields", "must be false to be structural");
        Forbid(v.XKubernetesEmbeddedResource == true, "x-kubernetes-embedded-resource", "must be false to be structural");
        Forbid(v.XKubernetesIntOrString == true, "x-kubernetes-int-or-string", "must be false to be structural");
        Forbid(v.XKubernetesListMapKeys is { Count: > 0 }, "x-kubernetes-list-map-keys", "must be empty to be structural");
        Forbid(v.XKubernetesListType is not null, "x-kubernetes-list-type", "must be undefined to be structural");
        Forbid(v.Properties?.ContainsKey("metadata") == true, "properties[metadata]", "must not be specified in a nested context");
        if (SchemaNode.ReadSchemaOrBool(v.Items, out _) is { } items)
        {
            CheckNested(items, Child(path, "items"), false, errors);
        }

        foreach (var (name, property) in v.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            CheckNested(property, $"{Child(path, "properties")}[{name}]", false, errors);
        }
    }

    private static void CheckListAndMapTypes(V1JSONSchemaProps s, V1JSONSchemaProps? items, string path, List<FieldError> errors)
    {
        string? listType = s.XKubernetesListType;
        if (listType is not null)
        {
            if (listType is not ("atomic" or "set" or "map"))
            {
                errors.Add(new FieldError(FieldErrorType.NotSupported, Child(path, "x-kubernetes-list-type"), listType, "supported values: \"atomic\", \"map\", \"set\""));
            }
            else if (s.Type != "array")
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "type"), s.Type ?? "", "must be array if x-kubernetes-list-type is specified"));
            }
            else if (listType == "set" && items is not null && items.Type is "object" or "array")
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "items.type"), items.Type, "must be a scalar type if x-kubernetes-list-type is set"));
            }
        }

        if (listType == "map")
        {
            if (s.XKubernetesListMapKeys is not { Count: > 0 })
            {
                errors.Add(new FieldError(FieldErrorType.Required, Child(path, "x-kubernetes-list-map-keys"), null, "must not be empty if x-kubernetes-list-type is map"));
            }
            else if (items is not null)
            {
                if (items.Type != "object")
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "items.type"), items.Type ?? "", "must be object if parent array's x-kubernetes-list-type is map"));
                }

                foreach (string key in s.XKubernetesListMapKeys)
                {
                    if (items.Properties?.TryGetValue(key, out var keySchema) != true)
                    {
                        errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "x-kubernetes-list-map-keys"), key, "entries must all be names of item properties"));
                    }
                    else if (keySchema!.Type is "object" or "array" || keySchema.Nullable == true)
                    {
                        errors.Add(new FieldError(FieldErrorType.Invalid, $"{Child(path, "items.properties")}[{key}]", keySchema.Type ?? "", "must be a scalar type and not nullable if parent array's x-kubernetes-list-type is map"));
                    }
                    else if (items.Required?.Contains(key) != true && keySchema.DefaultProperty is null)
                    {
                        errors.Add(new FieldError(FieldErrorType.Required, Child(path, "items.required"), null, $"all map keys must be required or have a default value (missing: \"{key}\")"));
                    }
                }
            }
        }
        else if (s.XKubernetesListMapKeys is { Count: > 0 })
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, Child(path, "x-kubernetes-list-map-keys"), null, "must be empty if x-kubernetes-list-type is not map"));
        }

        if (s.XKubernetesMapType is { } mapType)
        {
            if (mapType is not ("granular" or "atomic"))
            {
                errors.Add(new FieldError(FieldErrorType.NotSupported, Child(path, "x-kubernetes-map-type"), mapType, "supported values: \"atomic\", \"granular\""));
            }
            else if (s.Type != "object")
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(path, "type"), s.Type ?? "", "must be object if x-kubernetes-map-type is specified"));
            }
        }
    }

    private static void CheckRules(V1JSONSchemaProps s, string path, List<FieldError> errors)
    {
        for (int i = 0; i < (s.XKubernetesValidations?.Count ?? 0); i++)
        {
            var rule = s.XKubernetesValidations![i];
            string rulePath = $"{Child(path, "x-kubernetes-validations")}[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Rule))
            {
                errors.Add(new FieldError(FieldErrorType.Required, Child(rulePath, "rule"), null, ""));
                continue;
            }

            if (!CelProgram.TryCompile(rule.Rule, ["self", "oldSelf"], out _, out string? error))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(rulePath, "rule"), rule.Rule, "compilation failed: " + error));
            }

            if (!string.IsNullOrEmpty(rule.MessageExpression) && !CelProgram.TryCompile(rule.MessageExpression, ["self", "oldSelf"], out _, out string? messageError))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(rulePath, "messageExpression"), rule.MessageExpression, "messageExpression compilation failed: " + messageError));
            }

            if (rule.Message is { } message && (message.Contains('\n', StringComparison.Ordinal) || message.Trim().Length == 0))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(rulePath, "message"), message,
                    message.Trim().Length == 0 ? "message must be non-empty if specified" : "message must not contain line breaks"));
            }

            if (rule.Reason is { } reason && !Reasons.Contains(reason, StringComparer.Ordinal))
            {
                errors.Add(new FieldError(FieldErrorType.NotSupported, Child(rulePath, "reason"), reason,
                    "supported values: " + string.Join(", ", Reasons.Select(r => "\"" + r + "\""))));
            }

            if (rule.FieldPath is { Length: > 0 } fieldPath && !FieldPathRefersToSchema(s, fieldPath))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, Child(rulePath, "fieldPath"), fieldPath, "fieldPath must be a valid path: does not refer to a valid field"));
            }
        }
    }

    // A rule's fieldPath must name fields of the schema it sits on (".a.b", ".m['k']").
    private static bool FieldPathRefersToSchema(V1JSONSchemaProps schema, string fieldPath)
    {
        var current = schema;
        foreach (Match m in Regex.Matches(fieldPath, @"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]"))
        {
            string name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
            if (current.Properties?.TryGetValue(name, out var next) == true)
            {
                current = next;
            }
            else if (SchemaNode.ReadSchemaOrBool(current.AdditionalProperties, out _) is { } additional)
            {
                current = additional;
            }
            else
            {
                return false;
            }
        }

        return fieldPath.StartsWith('.') || fieldPath.StartsWith('[');
    }

    private static bool IsRegex(string pattern, out string? error)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            error = null;
            return true;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
    }

    private static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
