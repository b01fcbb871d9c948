using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cel;
using Cel.Internal;

namespace Navarch.Api.Cel;

/// <summary>
/// One CEL expression compiled once against a set of declared variables, evaluated many times with JSON values (the
/// <c>Cel</c> package underneath, with the compile-time checks and Kubernetes library functions it lacks, and a
/// bounded cost). Used by <c>x-kubernetes-validations</c>, webhook <c>matchConditions</c> and ValidatingAdmissionPolicy.
/// </summary>
/// <remarks>Thread-safe: compile under a lock (the package's environment is shared), evaluate concurrently.</remarks>
public sealed partial class CelProgram
{
    private static readonly Lock EnvironmentLock = new();
    private static readonly CelEnvironment Environment = CreateEnvironment();

    private readonly CelProgramDelegate _program;

    private CelProgram(string expression, IReadOnlySet<string> variables, IReadOnlySet<string> compositedReferences, CelProgramDelegate program)
    {
        Expression = expression;
        Variables = variables;
        CompositedReferences = compositedReferences;
        _program = program;
    }

    /// <summary>The source text.</summary>
    public string Expression { get; }

    /// <summary>The variables the expression may reference (e.g. <c>self</c>, <c>oldSelf</c>).</summary>
    public IReadOnlySet<string> Variables { get; }

    /// <summary>The composited variables the expression selects (<c>variables.name</c>); empty when compiled without composition.</summary>
    public IReadOnlySet<string> CompositedReferences { get; }

    /// <summary>Compiles <paramref name="expression"/>; throws <see cref="CelCompileException"/> with cel-go's wording when it does not compile.</summary>
    public static CelProgram Compile(string expression, params IEnumerable<string> variables) => Compile(expression, variables, null);

    /// <summary>
    /// Compiles <paramref name="expression"/> with variable composition: <c>variables.name</c> must select one of
    /// <paramref name="composited"/> (Kubernetes' admission policy <c>spec.variables</c>, declared in order).
    /// </summary>
    public static CelProgram Compile(string expression, IEnumerable<string> variables, IReadOnlyCollection<string>? composited)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var declared = variables.ToHashSet(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(expression))
        {
            throw new CelCompileException("ERROR: <input>:1:1: Syntax error: mismatched input '<EOF>'");
        }

        lock (EnvironmentLock)
        {
            CelParser.StartContext tree;
            try
            {
                tree = Environment.Parse(expression);
            }
            catch (CelException e)
            {
                throw new CelCompileException(SyntaxError(e.Message), e);
            }

            var references = new HashSet<string>(StringComparer.Ordinal);
            string? error = CelStaticCheck.Check(tree, declared, composited?.ToHashSet(StringComparer.Ordinal), references);
            if (error is not null)
            {
                throw new CelCompileException(error);
            }

            try
            {
                return new CelProgram(expression, declared, references, Environment.Compile(WithBoundedRegexes(expression, tree)));
            }
            catch (CelException e)
            {
                throw new CelCompileException("ERROR: <input>:1:1: " + e.Message, e);
            }
        }
    }

    /// <summary>The parse tree of <paramref name="expression"/>, or null when it does not parse.</summary>
    internal static CelParser.StartContext? TryParse(string expression)
    {
        lock (EnvironmentLock)
        {
            try
            {
                return Environment.Parse(expression);
            }
            catch (CelException)
            {
                return null;
            }
        }
    }

    /// <summary>Compiles, or returns the compile error's message.</summary>
    public static bool TryCompile(string expression, IEnumerable<string> variables, out CelProgram? program, out string? error) =>
        TryCompile(expression, variables, null, out program, out error);

    /// <summary>Compiles with variable composition, or returns the compile error's message.</summary>
    public static bool TryCompile(string expression, IEnumerable<string> variables, IReadOnlyCollection<string>? composited, out CelProgram? program, out string? error)
    {
        try
        {
            program = Compile(expression, variables, composited);
            error = null;
            return true;
        }
        catch (CelCompileException e)
        {
            program = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Evaluates with <paramref name="variables"/> bound to JSON values, spending from <paramref name="budget"/> (a fresh
    /// <see cref="CelCostBudget.PerCallLimit"/> budget when null). A declared variable absent from the map is an error
    /// when the expression reads it. Never throws for a failing expression: the error is in the result.
    /// </summary>
    public CelEvaluation Evaluate(IReadOnlyDictionary<string, JsonNode?> variables, CelCostBudget? budget = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var activation = new CelActivation(variables.Count);
        foreach (var (name, value) in variables)
        {
            activation[name] = CelValues.FromJson(value);
        }

        budget ??= new CelCostBudget();
        if (budget.LimitExceeded)
        {
            return new CelEvaluation(null, CelCostLimitExceededException.Text, CostLimitExceeded: true);
        }

        var previous = CelCostMeter.Current;
        CelCostMeter.Current = budget;
        budget.BeginCall();
        try
        {
            object? result = _program(activation);

            // The package's comprehensions swallow exceptions from their bodies, so an abort may surface as a plain
            // error or even a value: the budget remembers that it ran out.
            if (budget.CallExhausted)
            {
                return new CelEvaluation(null, CelCostLimitExceededException.Text, CostLimitExceeded: true);
            }

            return IsNoSuchField(result)
                ? new CelEvaluation(null, NoSuchKey(result!.GetType().GetProperty("Message")?.GetValue(result) as string))
                : new CelEvaluation(CelValues.ToJson(result), null);
        }
        catch (CelCostLimitExceededException e)
        {
            return new CelEvaluation(null, e.Message, CostLimitExceeded: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return budget.CallExhausted
                ? new CelEvaluation(null, CelCostLimitExceededException.Text, CostLimitExceeded: true)
                : new CelEvaluation(null, RuntimeError(e));
        }
        finally
        {
            CelCostMeter.Current = previous;
        }
    }

    // The package's matches() runs .NET regexes without a timeout, so a backtracking pattern could hold a thread for
    // ever; calls to it are renamed to CelKubernetesLibrary's bounded matches before the program is built.
    private static CelParser.StartContext WithBoundedRegexes(string expression, CelParser.StartContext tree)
    {
        var starts = CelStaticCheck.MatchesCalls(tree).OrderByDescending(t => t.StartIndex).ToArray();
        if (starts.Length == 0)
        {
            return tree;
        }

        var text = new System.Text.StringBuilder(expression);
        foreach (var token in starts)
        {
            text.Remove(token.StartIndex, token.StopIndex - token.StartIndex + 1).Insert(token.StartIndex, CelKubernetesLibrary.BoundedMatches);
        }

        return Environment.Parse(text.ToString());
    }

    private static CelEnvironment CreateEnvironment()
    {
        var env = new CelEnvironment(null, null);
        CelKubernetesLibrary.Register(env);
        return env;
    }

    // "Line 1:15 mismatched input ..." → cel-go's "ERROR: <input>:1:16: Syntax error: mismatched input ...".
    private static string SyntaxError(string message)
    {
        var m = SyntaxErrorPattern().Match(message);
        return m.Success
            ? $"ERROR: <input>:{m.Groups[1].Value}:{int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}: Syntax error: {m.Groups[3].Value}"
            : "ERROR: <input>:1:1: Syntax error: " + message;
    }

    // The package's runtime errors in cel-go's words, which Kubernetes puts in its messages.
    private static string RuntimeError(Exception e) => e switch
    {
        CelNoSuchFieldException => NoSuchKey(e.Message),
        CelDivideByZeroException => "division by zero",
        CelModulusByZeroException => "modulus by zero",
        CelOverflowException or OverflowException => "integer overflow",
        CelNoSuchOverloadException => "no such overload",
        CelUndeclaredReferenceException => e.Message.TrimEnd('.'),
        RegexMatchTimeoutException => "regular expression match timed out",
        _ => e.Message.TrimEnd('.'),
    };

    // The package returns (not throws) its internal CelNoSuchField marker when a selected field is absent.
    private static bool IsNoSuchField(object? result) => result?.GetType().FullName == "Cel.Internal.CelNoSuchField";

    private static string NoSuchKey(string? message)
    {
        var m = QuotedPattern().Match(message ?? "");
        return m.Success ? "no such key: " + m.Groups[1].Value : "no such key";
    }

    [GeneratedRegex(@"^Line (\d+):(\d+) (.*)$", RegexOptions.Singleline)]
    private static partial Regex SyntaxErrorPattern();

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex QuotedPattern();
}
