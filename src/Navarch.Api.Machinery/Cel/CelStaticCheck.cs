using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using static Cel.Internal.CelParser;

namespace Navarch.Api.Cel;

/// <summary>
/// The checks cel-go's compiler makes and the package leaves to run time: every identifier is a declared variable, an
/// in-scope comprehension variable or a type name; every function and method exists; and the cost of comprehensions over
/// literal lists (which no runtime charge sees) stays within <see cref="CelCostBudget.PerCallLimit"/>.
/// </summary>
internal static class CelStaticCheck
{
    private static readonly HashSet<string> Macros = new(StringComparer.Ordinal) { "all", "exists", "exists_one", "map", "filter" };

    // The package's own functions (Cel.Internal.CelFunctions) plus the has() macro.
    private static readonly HashSet<string> PackageFunctions = new(StringComparer.Ordinal)
    {
        "bool", "bytes", "double", "decimal", "int", "uint", "string", "timestamp", "duration", "type", "dyn",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds", "getFullYear", "getMonth", "getDayOfYear",
        "getDayOfMonth", "getDayOfWeek", "getDate", "contains", "endsWith", "startsWith", "matches", "size", "has",
    };

    private static readonly HashSet<string> TypeNames = new(StringComparer.Ordinal)
    {
        "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
    };

    /// <summary>
    /// The first problem found, worded as cel-go reports it, or null when the expression checks. With
    /// <paramref name="composited"/> (admission policies' <c>variables</c>), a selection <c>variables.name</c> must name
    /// one of them — cel-go types <c>variables</c> as an object with those fields — and the names selected are put in
    /// <paramref name="references"/>.
    /// </summary>
    public static string? Check(StartContext tree, IReadOnlySet<string> variables, IReadOnlySet<string>? composited = null, ISet<string>? references = null)
    {
        var walker = new Walker(variables, composited, references);
        long cost = walker.Walk(tree, []);
        if (walker.Error is not null)
        {
            return walker.Error;
        }

        return cost > CelCostBudget.PerCallLimit
            ? $"estimated rule cost exceeds budget by factor of more than {(double)cost / CelCostBudget.PerCallLimit:0.0}x"
            : null;
    }

    /// <summary>The name tokens of every <c>matches</c> call, global or member.</summary>
    public static IEnumerable<IToken> MatchesCalls(IParseTree node)
    {
        if (node is MemberCallContext { id.Text: "matches" } call)
        {
            yield return call.id;
        }
        else if (node is IdentOrGlobalCallContext { id.Text: "matches", op: not null } global)
        {
            yield return global.id;
        }

        for (int i = 0; i < node.ChildCount; i++)
        {
            foreach (var token in MatchesCalls(node.GetChild(i)))
            {
                yield return token;
            }
        }
    }

    private sealed class Walker(IReadOnlySet<string> variables, IReadOnlySet<string>? composited, ISet<string>? references)
    {
        private const string CompositedVariable = "variables";

        public string? Error { get; private set; }

        public long Walk(IParseTree node, HashSet<string> scope)
        {
            switch (node)
            {
                case ITerminalNode:
                    return 0;
                case IdentOrGlobalCallContext ident:
                    return WalkIdent(ident, scope);
                case MemberCallContext call:
                    return WalkMemberCall(call, scope);
                case SelectContext select when composited is not null && IsCompositedRoot(select.member(), scope):
                    if (!composited.Contains(select.id.Text))
                    {
                        Fail(select.op, $"undefined field '{select.id.Text}'");
                    }

                    references?.Add(select.id.Text);
                    return 2;
                default:
                    long cost = 1;
                    for (int i = 0; i < node.ChildCount; i++)
                    {
                        cost = Add(cost, Walk(node.GetChild(i), scope));
                    }

                    return cost;
            }
        }

        private long WalkIdent(IdentOrGlobalCallContext ident, HashSet<string> scope)
        {
            string name = ident.id.Text;
            if (ident.op is null)
            {
                if (!variables.Contains(name) && !scope.Contains(name) && !TypeNames.Contains(name))
                {
                    Fail(ident.id, $"undeclared reference to '{name}' (in container '')");
                }

                return 1;
            }

            if (!PackageFunctions.Contains(name) && !CelKubernetesLibrary.FunctionNames.Contains(name))
            {
                Fail(ident.id, $"undeclared reference to '{name}' (in container '')");
            }

            return ident.args is null ? 1 : Add(1, Walk(ident.args, scope));
        }

        private long WalkMemberCall(MemberCallContext call, HashSet<string> scope)
        {
            string name = call.id.Text;
            long target = Walk(call.member(), scope);
            var args = call.args?._e ?? [];
            if (!Macros.Contains(name))
            {
                if (!PackageFunctions.Contains(name) && !CelKubernetesLibrary.FunctionNames.Contains(name))
                {
                    Fail(call.id, $"undeclared reference to '{name}' (in container '')");
                }

                long cost = Add(1, target);
                foreach (var arg in args)
                {
                    cost = Add(cost, Walk(arg, scope));
                }

                return cost;
            }

            int arity = name == "map" ? 3 : 2;
            if (args.Count < 2 || args.Count > arity)
            {
                Fail(call.id, $"invalid argument count to macro '{name}'");
                return target;
            }

            string variable = args[0].GetText();
            if (!IsIdentifier(variable))
            {
                Fail(args[0].Start, "argument must be a simple name");
                return target;
            }

            var inner = new HashSet<string>(scope, StringComparer.Ordinal) { variable };
            long body = 1;
            for (int i = 1; i < args.Count; i++)
            {
                body = Add(body, Walk(args[i], inner));
            }

            return Add(target, Multiply(LiteralSize(call.member()), body));
        }

        // `variables` itself, not a comprehension variable that shadows it.
        private static bool IsCompositedRoot(MemberContext member, HashSet<string> scope) =>
            member is PrimaryExprContext { } primary && primary.primary() is IdentOrGlobalCallContext { op: null } ident
            && ident.id.Text == CompositedVariable && !scope.Contains(CompositedVariable);

        // A comprehension over a list or map literal runs once per element with no runtime charge, so its size counts
        // statically; any other range is charged per element visited at run time.
        private static long LiteralSize(MemberContext range) => range is PrimaryExprContext primary
            ? primary.primary() switch
            {
                CreateListContext list => Math.Max(1, list.elems?._elems.Count ?? 0),
                CreateStructContext map => Math.Max(1, map.entries?._keys.Count ?? 0),
                NestedContext nested => Math.Max(1, nested.e.GetText().Count(c => c == ',') + 1),
                _ => 1,
            }
            : 1;

        private void Fail(IToken at, string message) =>
            Error ??= $"ERROR: <input>:{at.Line}:{at.Column + 1}: {message}";

        private static bool IsIdentifier(string text) =>
            text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

        private static long Multiply(long a, long b) => b != 0 && a > long.MaxValue / b ? long.MaxValue : a * b;
    }
}
