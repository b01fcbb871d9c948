using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Networking;

/// <summary>Kubernetes' <c>ValidateNetworkPolicy</c> for policy types and ports.</summary>
internal static class NetworkPolicyValidation
{
    private static readonly SupportedValues PolicyTypes = new("Egress", "Ingress");

    /// <summary>A spec; policyTypes; the protocol, port and endPort of every ingress and egress rule's ports.</summary>
    public static IEnumerable<FieldError> Validate(V1NetworkPolicy policy)
    {
        if (policy.Spec is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec", null, "");
            yield break;
        }

        IList<string> types = policy.Spec.PolicyTypes ?? [];
        for (int i = 0; i < types.Count; i++)
        {
            if (PolicyTypes.Check($"spec.policyTypes[{i}]", types[i]) is { } badType)
            {
                yield return badType;
            }
        }

        var ports = (policy.Spec.Ingress ?? []).SelectMany((r, i) => (r.Ports ?? []).Select((p, j) => (p, $"spec.ingress[{i}].ports[{j}]")))
            .Concat((policy.Spec.Egress ?? []).SelectMany((r, i) => (r.Ports ?? []).Select((p, j) => (p, $"spec.egress[{i}].ports[{j}]"))));
        foreach ((V1NetworkPolicyPort port, string at) in ports)
        {
            if (port.Protocol is { } protocol && SupportedValues.Protocols.Check(at + ".protocol", protocol) is { } badProtocol)
            {
                yield return badProtocol;
            }

            bool numeric = int.TryParse(port.Port?.Value, out int number);
            if (numeric && FieldValidation.PortNumber(at + ".port", number) is { } badPort)
            {
                yield return badPort;
            }

            if (port.EndPort is { } end && (!numeric || end < number))
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".endPort", end, numeric ? "must be greater than or equal to `port`" : "may not be specified when `port` is non-numeric");
            }
        }
    }
}
