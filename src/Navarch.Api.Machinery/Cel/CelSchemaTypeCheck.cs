using System.Text;
using System.Text.Json.Nodes;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using static Cel.Internal.CelParser;

namespace Navarch.Api.Cel;

/// <summary>
/// The part of cel-go's type checker that ValidatingAdmissionPolicy's type checking surfaces most: field selections
/// (<c>object.spec.replicas</c>, inside <c>has()</c> and through comprehension variables and indexes) checked against
/// the OpenAPI schemas of the variables, reported as cel-go's "undefined field" issues. Operand and overload typing
/// (<c>int &lt;= string</c>) is not checked: the package compiles without declared types.
/// </summary>
public static class CelSchemaTypeCheck
{
    /// <summary>
    /// The issues of <paramref name="expression"/> worded as cel-go's <c>Issues.String()</c> (each error with its source
    /// line and a caret), or null when none is found. <paramref name="schemas"/> gives the OpenAPI v3 schema of each
    /// typed variable (others are dynamic); <paramref name="resolve"/> follows a schema's <c>$ref</c>.
    /// </summary>
    public static string? Check(string expression, IReadOnlyDictionary<string, JsonObject> schemas, Func<JsonObject, JsonObject> resolve)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(schemas);
        ArgumentNullException.ThrowIfNull(resolve);
        if (CelProgram.TryParse(expression) is not { } tree)
        {
            return null;
        }

        var walker = new Walker(schemas, resolve);
        walker.Walk(tree, new Dictionary<string, JsonObject?>(StringComparer.Ordinal));
        if (walker.Errors.Count == 0)
        {
            return null;
        }

        string[] lines = expression.Split('\n');
        var text = new StringBuilder();
        foreach ((int line, int column, string message) in walker.Errors.Distinct().OrderBy(e => e.Line).ThenBy(e => e.Column))
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            string source = line - 1 < lines.Length ? lines[line - 1].TrimEnd('\r') : "";
            text.Append("ERROR: <input>:").Append(line).Append(':').Append(column + 1).Append(": ").Append(message)
                .Append("\n | ").Append(source)
                .Append("\n | ").Append('.', column).Append('^');
        }

        return text.ToString();
    }

    private sealed class Walker(IReadOnlyDictionary<string, JsonObject> schemas, Func<JsonObject, JsonObject> resolve)
    {
        private static readonly HashSet<string> Macros = new(StringComparer.Ordinal) { "all", "exists", "exists_one", "map", "filter" };

        public List<(int Line, int Column, string Message)> Errors { get; } = [];

        /// <summary>Checks <paramref name="node"/> and returns the schema of its value, or null when it is dynamic.</summary>
        public JsonObject? Walk(IParseTree node, Dictionary<string, JsonObject?> scope)
        {
            switch (node)
            {
                case ITerminalNode:
                    return null;
                case IdentOrGlobalCallContext { op: null } ident:
                    string name = ident.id.Text;
                    return scope.TryGetValue(name, out JsonObject? bound) ? bound : schemas.TryGetValue(name, out JsonObject? schema) ? Resolve(schema) : null;
                case SelectContext select:
                    return Select(Walk(select.member(), scope), select);
                case IndexContext index:
                    JsonObject? container = Walk(index.member(), scope);
                    Walk(index.index, scope);
                    return container is null ? null : Items(container) ?? MapValues(container);
                case MemberCallContext call when Macros.Contains(call.id.Text) && call.args?._e is { Count: >= 2 } args:
                    return Comprehension(Walk(call.member(), scope), args, scope);
                case NestedContext nested:
                    return Walk(nested.e, scope);
                default:
                    JsonObject? only = null;
                    for (int i = 0; i < node.ChildCount; i++)
                    {
                        only = Walk(node.GetChild(i), scope);
                    }

                    // A wrapper of one expression (the grammar's precedence levels) has its child's type.
                    return node.ChildCount == 1 ? only : null;
            }
        }

        private JsonObject? Comprehension(JsonObject? range, IList<ExprContext> args, Dictionary<string, JsonObject?> scope)
        {
            // A list's comprehension variable is an element; a map's is a key (a string).
            var inner = new Dictionary<string, JsonObject?>(scope, StringComparer.Ordinal) { [args[0].GetText()] = range is null ? null : Items(range) };
            for (int i = 1; i < args.Count; i++)
            {
                Walk(args[i], inner);
            }

            return null;
        }

        private JsonObject? Select(JsonObject? target, SelectContext select)
        {
            if (target is null)
            {
                return null;
            }

            string field = select.id.Text;
            if (MapValues(target) is { } values)
            {
                return values;
            }

            if (target["properties"] is not JsonObject { Count: > 0 } properties || IsDynamic(target))
            {
                return null;
            }

            if (properties[field] is JsonObject property)
            {
                return Resolve(property);
            }

            Errors.Add((select.op.Line, select.op.Column, $"undefined field '{field}'"));
            return null;
        }

        private JsonObject? Items(JsonObject schema) => schema["items"] is JsonObject items && !IsDynamic(schema) ? Resolve(items) : null;

        private JsonObject? MapValues(JsonObject schema) =>
            schema["additionalProperties"] is JsonObject values && schema["properties"] is not JsonObject { Count: > 0 } ? Resolve(values) : null;

        private static bool IsDynamic(JsonObject schema) =>
            schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true
            || schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true
            || schema["x-kubernetes-embedded-resource"]?.GetValue<bool>() == true;

        // $ref and the allOf: [{$ref}] wrapper OpenAPI v3 puts around a reference with a default or a description.
        private JsonObject Resolve(JsonObject schema)
        {
            for (int depth = 0; depth < 8; depth++)
            {
                if (schema["allOf"] is JsonArray { Count: 1 } all && all[0] is JsonObject single && schema["properties"] is null)
                {
                    schema = single;
                }
                else if (schema["$ref"] is not null)
                {
                    schema = resolve(schema);
                }
                else
                {
                    break;
                }
            }

            return schema;
        }
    }
}
