using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidateService</c> and <c>ValidateServiceUpdate</c> for the fields Navarch serves.</summary>
internal static class ServiceValidation
{
    private static readonly SupportedValues Types = new("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");

    /// <summary>The type; ports required (unless headless or ExternalName), named when several, in range; node ports only where they apply.</summary>
    public static IEnumerable<FieldError> Validate(V1Service s)
    {
        V1ServiceSpec? spec = s.Spec;
        string type = spec?.Type ?? "ClusterIP";
        if (Types.Check("spec.type", type) is { } badType)
        {
            yield return badType;
        }

        bool headless = spec?.ClusterIP == "None";
        IList<V1ServicePort> ports = spec?.Ports ?? [];
        if (ports.Count == 0 && type != "ExternalName" && !headless)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.ports", null, "");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ports.Count; i++)
        {
            V1ServicePort p = ports[i];
            string at = $"spec.ports[{i}]";
            if (FieldValidation.PortName(at + ".name", p.Name, ports.Count > 1, names) is { } badName)
            {
                yield return badName;
            }

            if (FieldValidation.PortNumber(at + ".port", p.Port) is { } badPort)
            {
                yield return badPort;
            }

            if (p.Protocol is { } protocol && SupportedValues.Protocols.Check(at + ".protocol", protocol) is { } badProtocol)
            {
                yield return badProtocol;
            }

            if (p.NodePort is { } np and not 0)
            {
                if (type is not ("NodePort" or "LoadBalancer"))
                {
                    yield return new FieldError(FieldErrorType.Forbidden, at + ".nodePort", null, "may not be used when `type` is 'ClusterIP'");
                }
                else if (np is < 30000 or > 32767)
                {
                    yield return new FieldError(FieldErrorType.Invalid, at + ".nodePort", np, "provided port is not in the valid range. The range of valid ports is 30000-32767");
                }
            }
        }
    }

    /// <summary>A cluster IP, once set, stays (unless the type changes).</summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1Service s, V1Service old) =>
        old.Spec?.ClusterIP is { Length: > 0 } ip && s.Spec?.ClusterIP != ip && old.Spec.Type == s.Spec?.Type
            ? [new FieldError(FieldErrorType.Invalid, "spec.clusterIPs[0]", s.Spec?.ClusterIP ?? "", "may not change once set")]
            : [];
}
