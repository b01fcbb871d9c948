using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Rbac;

/// <summary>
/// Role and ClusterRole writes (pkg/registry/rbac/role/policybased, clusterrole/policybased): the writer must already
/// hold every rule it grants — in the role's namespace for a Role — unless it is in <c>system:masters</c> or has
/// <c>escalate</c> on the role; setting or changing a ClusterRole's aggregationRule, which can gather anything, needs
/// <c>*</c> on everything.
/// </summary>
internal sealed class RolePolicy(EscalationCheck escalation) : RbacWritePolicy
{
    public override async Task<bool> TrustedAsync(RestRequest request, CancellationToken cancellationToken) =>
        EscalationCheck.EscalationAllowed(request.User) || await escalation.RoleEscalationAuthorizedAsync(request.User, request.Info, cancellationToken);

    public override async Task CheckAsync(RestRequest request, IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta>? old, CancellationToken cancellationToken)
    {
        if (old is not null && IsOnlyMutatingGcFields(obj, old))
        {
            return;
        }

        string groupResource = request.Store.Definition.GroupResource;
        IList<V1PolicyRule> rules = obj switch { V1Role role => role.Rules, V1ClusterRole clusterRole => clusterRole.Rules, _ => null } ?? [];
        if (await escalation.ConfirmNoEscalationAsync(request.User, request.Info.Namespace, rules, cancellationToken) is { } refused)
        {
            throw ApiErrors.Forbidden(groupResource, obj.Metadata.Name ?? "", refused);
        }

        if ((HasAggregationRule(obj) || (old is not null && HasAggregationRule(old)))
            && await escalation.ConfirmNoEscalationAsync(request.User, request.Info.Namespace, EscalationCheck.FullAuthority, cancellationToken) is not null)
        {
            throw ApiErrors.Forbidden(groupResource, obj.Metadata.Name ?? "", "must have cluster-admin privileges to use the aggregationRule");
        }
    }

    private static bool HasAggregationRule(IKubernetesObject<V1ObjectMeta> obj) =>
        obj is V1ClusterRole { AggregationRule.ClusterRoleSelectors.Count: > 0 };
}
