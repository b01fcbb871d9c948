using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Discovery;

/// <summary>Kubernetes' <c>ValidateEndpointSlice</c>.</summary>
internal static class EndpointSliceValidation
{
    private static readonly SupportedValues AddressTypes = new("FQDN", "IPv4", "IPv6");

    /// <summary>addressType, 1–100 addresses per endpoint of that type, ports.</summary>
    public static IEnumerable<FieldError> Validate(V1EndpointSlice s)
    {
        if (string.IsNullOrEmpty(s.AddressType))
        {
            yield return new FieldError(FieldErrorType.Required, "addressType", null, "");
        }
        else if (AddressTypes.Check("addressType", s.AddressType) is { } badType)
        {
            yield return badType;
        }

        IList<V1Endpoint> endpoints = s.Endpoints ?? [];
        if (endpoints.Count > 1000)
        {
            yield return new FieldError(FieldErrorType.TooMany, "endpoints", endpoints.Count, "must have at most 1000 items");
        }

        for (int i = 0; i < endpoints.Count; i++)
        {
            string at = $"endpoints[{i}].addresses";
            IList<string> addresses = endpoints[i].Addresses ?? [];
            if (addresses.Count == 0)
            {
                yield return new FieldError(FieldErrorType.Required, at, null, "must contain at least 1 address");
            }
            else if (addresses.Count > 100)
            {
                yield return new FieldError(FieldErrorType.TooMany, at, addresses.Count, "must have at most 100 items");
            }

            for (int j = 0; j < addresses.Count; j++)
            {
                AddressFamily? family = s.AddressType switch { "IPv4" => AddressFamily.InterNetwork, "IPv6" => AddressFamily.InterNetworkV6, _ => null };
                if (family is { } want && (!IPAddress.TryParse(addresses[j], out IPAddress? ip) || ip.AddressFamily != want))
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"{at}[{j}]", addresses[j], $"must be a valid {s.AddressType} address");
                }
            }
        }

        IList<Discoveryv1EndpointPort> ports = s.Ports ?? [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ports.Count; i++)
        {
            string at = $"ports[{i}]";
            if (ports[i].Port is { } port && FieldValidation.PortNumber(at + ".port", port) is { } badPort)
            {
                yield return badPort;
            }

            if (ports[i].Protocol is { } protocol && SupportedValues.Protocols.Check(at + ".protocol", protocol) is { } badProtocol)
            {
                yield return badProtocol;
            }

            if (!names.Add(ports[i].Name ?? ""))
            {
                yield return new FieldError(FieldErrorType.Duplicate, at + ".name", ports[i].Name ?? "", "");
            }
        }
    }
}
