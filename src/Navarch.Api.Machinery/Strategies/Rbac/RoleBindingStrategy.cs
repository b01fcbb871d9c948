using k8s;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Rbac;

/// <summary>rbac.authorization.k8s.io/v1 RoleBinding and ClusterRoleBinding.</summary>
internal static class RoleBindingStrategy
{
    private static readonly SupportedValues Group = new("rbac.authorization.k8s.io");
    private static readonly SupportedValues BindingKinds = new("Role", "ClusterRole");
    private static readonly SupportedValues ClusterBindingKinds = new("ClusterRole");

    /// <summary>
    /// The strategy of a binding kind: roleRef names an RBAC role (a ClusterRoleBinding only a ClusterRole) and cannot
    /// change, as ValidateRoleBinding checks it.
    /// </summary>
    public static ResourceStrategy<T> Create<T>(Func<T, V1RoleRef?> roleRef, Func<T, IList<Rbacv1Subject>?> subjects)
        where T : class, IKubernetesObject<V1ObjectMeta> => new()
    {
        NameRule = NameRule.PathSegment,
        Validation = b => ValidateRoleRef(roleRef(b), typeof(T) == typeof(V1ClusterRoleBinding) ? ClusterBindingKinds : BindingKinds),
        UpdateValidation = (b, old) => KubernetesSerialization.JsonEquals(roleRef(b), roleRef(old))
            ? []
            : [new FieldError(FieldErrorType.Invalid, "roleRef", roleRef(b)?.Name, "cannot change roleRef")],
        Columns =
        [
            new("Role", "string", "", "Role is the role that the binding binds to."),
            TableColumn.AgeColumn,
            new("Users", "string", "", "Users in the binding.", 1),
            new("Groups", "string", "", "Groups in the binding.", 1),
            new("ServiceAccounts", "string", "", "ServiceAccounts in the binding.", 1),
        ],
        Cells = (b, now) =>
        [
            $"{roleRef(b)?.Kind}/{roleRef(b)?.Name}", Age.Of(b.Metadata.CreationTimestamp, now),
            string.Join(", ", (subjects(b) ?? []).Where(s => s.Kind == "User").Select(s => s.Name)),
            string.Join(", ", (subjects(b) ?? []).Where(s => s.Kind == "Group").Select(s => s.Name)),
            string.Join(", ", (subjects(b) ?? []).Where(s => s.Kind == "ServiceAccount").Select(s => $"{s.NamespaceProperty}/{s.Name}")),
        ],
    };

    private static IEnumerable<FieldError> ValidateRoleRef(V1RoleRef? roleRef, SupportedValues kinds)
    {
        if (Group.Check("roleRef.apiGroup", roleRef?.ApiGroup ?? "") is { } group)
        {
            yield return group;
        }

        if (kinds.Check("roleRef.kind", roleRef?.Kind ?? "") is { } kind)
        {
            yield return kind;
        }

        if (string.IsNullOrEmpty(roleRef?.Name))
        {
            yield return new FieldError(FieldErrorType.Required, "roleRef.name", null, "");
        }
    }
}
