using System.Text.Json.Nodes;

namespace Navarch.Api.Cel;

/// <summary>The outcome of one evaluation: a value, or the error that stopped it.</summary>
/// <param name="Value">The value as JSON (null for CEL null, and when <paramref name="Error"/> is set).</param>
/// <param name="Error">Why the evaluation failed (e.g. "no such key: foo"), null on success.</param>
/// <param name="CostLimitExceeded">True when the evaluation was aborted by its cost budget.</param>
public sealed record CelEvaluation(JsonNode? Value, string? Error, bool CostLimitExceeded = false)
{
    /// <summary>True when the evaluation produced a value.</summary>
    public bool Succeeded => Error is null;

    /// <summary>The value when it is a CEL bool, otherwise null (a rule must evaluate to a bool).</summary>
    public bool? AsBool => Value is JsonValue v && v.TryGetValue(out bool b) ? b : null;

    /// <summary>The value when it is a CEL string, otherwise null (a messageExpression must evaluate to a string).</summary>
    public string? AsString => Value is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
