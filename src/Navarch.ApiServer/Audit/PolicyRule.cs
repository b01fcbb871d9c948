namespace Navarch.ApiServer.Audit;

/// <summary>
/// One rule of an audit policy (audit.k8s.io/v1 <c>PolicyRule</c>): the level of the requests matching every field
/// given — users, groups (any of the user's), verbs, then either resources with namespaces (<c>""</c> is the cluster
/// scope) or non-resource URLs (<c>*</c> only as the last character). An empty list matches everything.
/// <paramref name="OmitManagedFields"/> overrides the policy's when set.
/// </summary>
internal sealed record PolicyRule(
    AuditLevel Level,
    IReadOnlyList<string> Users,
    IReadOnlyList<string> UserGroups,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<GroupResources> Resources,
    IReadOnlyList<string> Namespaces,
    IReadOnlyList<string> NonResourceUrls,
    IReadOnlyList<AuditStage> OmitStages,
    bool? OmitManagedFields = null);
