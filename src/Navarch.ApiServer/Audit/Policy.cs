namespace Navarch.ApiServer.Audit;

/// <summary>
/// An audit policy (audit.k8s.io/v1 <c>Policy</c>, kube-apiserver's <c>--audit-policy-file</c>): its rules in order —
/// the first that matches a request sets its level, and a request no rule matches is not audited —, the stages no event
/// is written for (joined with each rule's own), and whether managed fields are left out of recorded objects.
/// </summary>
internal sealed record Policy(IReadOnlyList<PolicyRule> Rules, IReadOnlyList<AuditStage> OmitStages, bool OmitManagedFields = false);
