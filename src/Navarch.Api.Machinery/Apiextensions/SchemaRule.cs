using k8s.Models;
using Navarch.Api.Cel;

namespace Navarch.Api.Apiextensions;

/// <summary>One <c>x-kubernetes-validations</c> rule, compiled with <c>self</c> and <c>oldSelf</c> declared.</summary>
internal sealed record SchemaRule(V1ValidationRule Source, CelProgram? Program, CelProgram? MessageProgram, string? CompileError, string? MessageCompileError)
{
    /// <summary>A transition rule reads <c>oldSelf</c>: it runs only on update, when the old value exists.</summary>
    public bool IsTransition { get; } = Program is not null && ReadsOldSelf(Source.Rule);

    public static SchemaRule Compile(V1ValidationRule rule)
    {
        CelProgram.TryCompile(rule.Rule ?? "", ["self", "oldSelf"], out var program, out string? error);
        CelProgram? message = null;
        string? messageError = null;
        if (!string.IsNullOrEmpty(rule.MessageExpression))
        {
            CelProgram.TryCompile(rule.MessageExpression, ["self", "oldSelf"], out message, out messageError);
        }

        return new SchemaRule(rule, program, message, error, messageError);
    }

    // cel-go decides from the checked AST; a word match on the identifier is the same answer for valid rules.
    private static bool ReadsOldSelf(string? rule) =>
        rule is not null && System.Text.RegularExpressions.Regex.IsMatch(rule, @"(?<![\w.])oldSelf\b");
}
