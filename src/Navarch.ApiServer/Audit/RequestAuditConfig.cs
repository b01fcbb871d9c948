namespace Navarch.ApiServer.Audit;

/// <summary>What the policy says about one request (k8s.io/apiserver's <c>RequestAuditConfig</c>).</summary>
/// <param name="Level">The level of its events; <see cref="AuditLevel.None"/> writes none.</param>
/// <param name="OmitStages">The stages no event is written for: the matching rule's and the policy's.</param>
/// <param name="OmitManagedFields">Whether recorded objects lose <c>metadata.managedFields</c>.</param>
internal sealed record RequestAuditConfig(AuditLevel Level, IReadOnlySet<AuditStage> OmitStages, bool OmitManagedFields);
