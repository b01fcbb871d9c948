using k8s.Models;

namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// A denial collected while every policy runs; the first one refuses the request. <see cref="Binding"/> is null for a
/// policy's own configuration error.
/// </summary>
internal sealed record PolicyDenial(V1ValidatingAdmissionPolicy Policy, V1ValidatingAdmissionPolicyBinding? Binding, string Message, string? Reason);
