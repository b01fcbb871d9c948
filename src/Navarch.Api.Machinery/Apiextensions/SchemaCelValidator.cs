using System.Text.Json.Nodes;
using Navarch.Api.Cel;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// apiextensions-apiserver's CEL validator: each node's <c>x-kubernetes-validations</c> evaluated with <c>self</c> bound to
/// the node's value and <c>oldSelf</c> to the correlated old value (object properties, granular/atomic map entries and
/// map-list items by key); transition rules only when the old value exists; one cost budget for the whole object.
/// </summary>
internal static class SchemaCelValidator
{
    private const string BudgetExhausted = "validation failed due to running out of cost budget, no further validation rules will be run";

    public static void Validate(SchemaNode schema, JsonNode? value, JsonNode? old, string path, bool isRoot, CelCostBudget budget, List<FieldError> errors)
    {
        if (value is null || budget.Exhausted)
        {
            return;
        }

        if (schema.Rules.Count > 0)
        {
            ValidateRules(schema, isRoot ? RootSelf(value)! : value, isRoot ? RootSelf(old) : old, path, budget, errors);
        }

        switch (value)
        {
            case JsonObject obj:
                var oldObj = schema.MapType is null or "granular" or "atomic" ? old as JsonObject : null;
                foreach (var (key, child) in obj)
                {
                    if (isRoot && key == "metadata")
                    {
                        continue;
                    }

                    if (schema.Properties.TryGetValue(key, out var property))
                    {
                        Validate(property, child, oldObj?[key], SchemaPaths.Child(path, key), isRoot: false, budget, errors);
                    }
                    else if (schema.AdditionalProperties is { } additional)
                    {
                        Validate(additional, child, oldObj?[key], SchemaPaths.Key(path, key), isRoot: false, budget, errors);
                    }
                }

                break;
            case JsonArray array when schema.Items is { } items:
                var oldItems = schema.ListType == "map" ? old as JsonArray : null;
                for (int i = 0; i < array.Count; i++)
                {
                    Validate(items, array[i], Correlate(schema, array[i], oldItems), SchemaPaths.Index(path, i), isRoot: false, budget, errors);
                }

                break;
        }
    }

    private static void ValidateRules(SchemaNode schema, JsonNode value, JsonNode? old, string path, CelCostBudget budget, List<FieldError> errors)
    {
        var vars = new Dictionary<string, JsonNode?> { ["self"] = value };
        if (old is not null)
        {
            vars["oldSelf"] = old;
        }

        object? shownValue = schema.Type is "object" or "array" || schema.Type is null ? schema.TypeName : SchemaPaths.BadValue(value);
        foreach (var rule in schema.Rules)
        {
            string ruleText = RuleErrorString(rule);
            if (rule.Program is null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, path, schema.TypeName, "rule compile error: " + rule.CompileError));
                continue;
            }

            if (rule.IsTransition && old is null)
            {
                continue;
            }

            var result = rule.Program.Evaluate(vars, budget);
            if (result.CostLimitExceeded)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, path, schema.TypeName, budget.LimitExceeded
                    ? BudgetExhausted
                    : $"'{result.Error}': no further validation rules will be run due to call cost exceeds limit for rule: {ruleText}"));
                return;
            }

            if (!result.Succeeded)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, path, schema.TypeName, result.Error!.StartsWith("no such overload", StringComparison.Ordinal)
                    ? $"'{result.Error}': call arguments did not match a supported operator, function or macro signature for rule: {ruleText}"
                    : $"{result.Error} evaluating rule: {ruleText}"));
                continue;
            }

            if (result.AsBool == true)
            {
                continue;
            }

            string detail = MessageFromExpression(rule, vars, budget) ?? RuleMessageOrDefault(rule);
            string errorPath = string.IsNullOrEmpty(rule.Source.FieldPath) ? path : AppendFieldPath(path, rule.Source.FieldPath);
            errors.Add(rule.Source.Reason switch
            {
                "FieldValueForbidden" => new FieldError(FieldErrorType.Forbidden, errorPath, null, detail),
                "FieldValueRequired" => new FieldError(FieldErrorType.Required, errorPath, null, detail),
                "FieldValueDuplicate" => new FieldError(FieldErrorType.Duplicate, errorPath, shownValue, ""),
                _ => new FieldError(FieldErrorType.Invalid, errorPath, shownValue, detail),
            });
        }
    }

    private static string? MessageFromExpression(SchemaRule rule, Dictionary<string, JsonNode?> vars, CelCostBudget budget)
    {
        if (rule.MessageProgram is null)
        {
            return null;
        }

        string? message = rule.MessageProgram.Evaluate(vars, budget).AsString?.Trim();
        return string.IsNullOrEmpty(message) || message.Contains('\n', StringComparison.Ordinal) ? null : message;
    }

    private static string RuleMessageOrDefault(SchemaRule rule) =>
        string.IsNullOrEmpty(rule.Source.Message) ? "failed rule: " + RuleErrorString(rule) : rule.Source.Message.Trim();

    private static string RuleErrorString(SchemaRule rule) =>
        string.IsNullOrEmpty(rule.Source.Message) ? (rule.Source.Rule ?? "").Trim() : rule.Source.Message.Trim();

    // fieldPath is a relative JSON path (".spec.x", ".m['k']"); Kubernetes appends it as one child name.
    private static string AppendFieldPath(string path, string fieldPath)
    {
        string relative = fieldPath.StartsWith('.') ? fieldPath[1..] : fieldPath;
        relative = relative.Replace("['", "[", StringComparison.Ordinal).Replace("']", "]", StringComparison.Ordinal);
        return path.Length == 0 ? relative : relative.StartsWith('[') ? path + relative : path + "." + relative;
    }

    // At the root, self.metadata carries only name and generateName, as Kubernetes exposes it to rules.
    private static JsonNode? RootSelf(JsonNode? value)
    {
        if (value is not JsonObject obj || obj["metadata"] is not JsonObject meta)
        {
            return value;
        }

        var copy = obj.DeepClone().AsObject();
        var reduced = new JsonObject();
        foreach (string field in new[] { "name", "generateName" })
        {
            if (meta[field] is { } v)
            {
                reduced[field] = v.DeepClone();
            }
        }

        copy["metadata"] = reduced;
        return copy;
    }

    private static JsonNode? Correlate(SchemaNode schema, JsonNode? item, JsonArray? oldItems)
    {
        if (oldItems is null || item is not JsonObject obj)
        {
            return null;
        }

        var key = SchemaListTypes.MapKey(schema, obj);
        return oldItems.OfType<JsonObject>().FirstOrDefault(o => JsonNode.DeepEquals(SchemaListTypes.MapKey(schema, o), key));
    }
}
