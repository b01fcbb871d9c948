
namespace Navarch.ApiServer.Authorization;

/// <summary>
/// kube-apiserver's <c>--authorization-mode</c>: a comma-separated list of <c>Node</c>, <c>RBAC</c> and
/// <c>AlwaysAllow</c>, asked in that order (a <see cref="UnionAuthorizer"/>).
/// </summary>
public static class AuthorizationModes
{
    /// <summary>The Node authorizer.</summary>
    public const string Node = "Node";

    /// <summary>The RBAC authorizer.</summary>
    public const string Rbac = "RBAC";

    /// <summary>Every authenticated user may do anything.</summary>
    public const string AlwaysAllow = "AlwaysAllow";

    /// <summary>k3s's default.</summary>
    public const string Default = "Node,RBAC";

    /// <summary>The modes in order.</summary>
    /// <exception cref="InvalidDataException">Empty, unknown or repeated modes.</exception>
    public static IReadOnlyList<string> Parse(string modes)
    {
        ArgumentNullException.ThrowIfNull(modes);
        string[] parsed = modes.Split(',', StringSplitOptions.TrimEntries);
        foreach (string mode in parsed)
        {
            if (mode is not (Node or Rbac or AlwaysAllow))
            {
                throw new InvalidDataException($"authorization-mode \"{mode}\" is not one of {Node}, {Rbac}, {AlwaysAllow}");
            }
        }

        if (parsed.Distinct(StringComparer.Ordinal).Count() != parsed.Length)
        {
            throw new InvalidDataException($"authorization-mode \"{modes}\" names a mode twice");
        }

        return parsed;
    }

    /// <summary>
    /// The authorizer of <paramref name="modes"/> (<paramref name="graph"/> is needed for <c>Node</c>), and what answers
    /// a SelfSubjectRulesReview: RBAC's rules when RBAC is a mode (the Node authorizer lists none, as Kubernetes'),
    /// else everything.
    /// </summary>
    internal static (IAuthorizer Authorizer, IRuleResolver Rules) Create(IReadOnlyList<string> modes, Node.Graph? graph, Rbac.RbacRuleResolver rbac)
    {
        var rbacAuthorizer = new RbacAuthorizer(rbac);
        List<IAuthorizer> authorizers = [.. modes.Select(mode => mode switch
        {
            Node => new Node.NodeAuthorizer(graph ?? throw new ArgumentNullException(nameof(graph))),
            Rbac => rbacAuthorizer,
            _ => (IAuthorizer)new AllowAuthenticated(),
        })];
        IRuleResolver rules = modes.Contains(AlwaysAllow) ? new AllowAuthenticated() : rbacAuthorizer;
        return (authorizers.Count == 1 ? authorizers[0] : new UnionAuthorizer(authorizers), rules);
    }
}
