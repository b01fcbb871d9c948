namespace Navarch.ApiServer.Audit;

/// <summary>
/// Resources of one API group a policy rule matches (audit.k8s.io/v1 <c>GroupResources</c>): <c>pods</c>,
/// <c>pods/log</c>, <c>*</c> (all and their subresources), <c>pods/*</c>, <c>*/scale</c>; none means every resource of
/// the group. <paramref name="ResourceNames"/> narrows to named objects and needs at least one resource.
/// </summary>
internal sealed record GroupResources(string Group, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames);
