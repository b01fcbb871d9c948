using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Rbac;

/// <summary>
/// RoleBinding and ClusterRoleBinding writes (pkg/registry/rbac/rolebinding/policybased, clusterrolebinding/policybased):
/// the writer must hold every rule of the role the binding refers to — in the binding's namespace for a RoleBinding —
/// unless it is in <c>system:masters</c> or has <c>bind</c> on that role. A binding to a role that does not exist is
/// refused with the role's NotFound unless the writer may bind it.
/// </summary>
internal sealed class BindingPolicy(EscalationCheck escalation) : RbacWritePolicy
{
    public override Task<bool> TrustedAsync(RestRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(EscalationCheck.EscalationAllowed(request.User));

    public override async Task CheckAsync(RestRequest request, IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta>? old, CancellationToken cancellationToken)
    {
        if (old is not null && IsOnlyMutatingGcFields(obj, old))
        {
            return;
        }

        V1RoleRef? roleRef = obj switch { V1RoleBinding binding => binding.RoleRef, V1ClusterRoleBinding binding => binding.RoleRef, _ => null };
        string? resource = roleRef?.Kind switch { "ClusterRole" => "clusterroles", "Role" => "roles", _ => null };
        if (roleRef is null || resource is null)
        {
            // Not a role reference at all: validation refuses it (422) after this.
            return;
        }

        string? ns = request.Info.Namespace;
        if (await escalation.BindingAuthorizedAsync(request.User, roleRef, ns, cancellationToken))
        {
            return;
        }

        (IList<V1PolicyRule>? rules, _) = await escalation.Resolver.RoleReferenceRulesAsync(roleRef, ns ?? "", cancellationToken);
        if (rules is null)
        {
            throw ApiErrors.NotFound($"{resource}.rbac.authorization.k8s.io", roleRef.Name);
        }

        if (await escalation.ConfirmNoEscalationAsync(request.User, ns, rules, cancellationToken) is { } refused)
        {
            throw ApiErrors.Forbidden(request.Store.Definition.GroupResource, obj.Metadata.Name ?? "", refused);
        }
    }
}
