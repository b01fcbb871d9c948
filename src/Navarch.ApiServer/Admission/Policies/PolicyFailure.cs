namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// A validation of a policy that did not pass for one request and parameter (Kubernetes' PolicyDecision with action
/// Deny): the index of the validation, the message, and the validation's reason (null for evaluation errors).
/// </summary>
internal sealed record PolicyFailure(int Index, string Message, string? Reason);
