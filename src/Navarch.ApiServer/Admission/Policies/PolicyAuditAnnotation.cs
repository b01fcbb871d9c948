namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// The outcome of one <c>auditAnnotations</c> entry: a value to publish under the policy's name, nothing (an empty or
/// null value, or an error under failurePolicy Ignore), or an error that denies the request under failurePolicy Fail.
/// </summary>
internal sealed record PolicyAuditAnnotation(string Key, string? Value, string? Error);
