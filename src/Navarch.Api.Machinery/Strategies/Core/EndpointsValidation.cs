using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidateEndpoints</c>: endpoint IPs (not loopback or link-local), ports and their names.</summary>
internal static class EndpointsValidation
{
    /// <summary>Every address of every subset, ready or not, and every port.</summary>
    public static IEnumerable<FieldError> Validate(V1Endpoints e)
    {
        IList<V1EndpointSubset> subsets = e.Subsets ?? [];
        for (int i = 0; i < subsets.Count; i++)
        {
            string at = $"subsets[{i}]";
            var addresses = (subsets[i].Addresses ?? []).Select((a, j) => (a, $"{at}.addresses[{j}]"))
                .Concat((subsets[i].NotReadyAddresses ?? []).Select((a, j) => (a, $"{at}.notReadyAddresses[{j}]")));
            foreach ((V1EndpointAddress address, string path) in addresses)
            {
                foreach (FieldError error in EndpointIp(address.Ip, path + ".ip"))
                {
                    yield return error;
                }
            }

            IList<Corev1EndpointPort> ports = subsets[i].Ports ?? [];
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int j = 0; j < ports.Count; j++)
            {
                foreach (FieldError error in Port(ports[j], ports.Count > 1, names, $"{at}.ports[{j}]"))
                {
                    yield return error;
                }
            }
        }
    }

    private static IEnumerable<FieldError> EndpointIp(string? ip, string at)
    {
        if (!IPAddress.TryParse(ip, out IPAddress? address) || (address.AddressFamily == AddressFamily.InterNetwork && ip!.Count(c => c == '.') != 3))
        {
            yield return new FieldError(FieldErrorType.Invalid, at, ip ?? "", "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
        else if (IPAddress.IsLoopback(address))
        {
            yield return new FieldError(FieldErrorType.Invalid, at, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
        }
        else if (address.IsIPv6LinkLocal || (address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, _, _]))
        {
            yield return new FieldError(FieldErrorType.Invalid, at, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
        }
    }

    private static IEnumerable<FieldError> Port(Corev1EndpointPort port, bool requireName, HashSet<string> names, string at)
    {
        if (FieldValidation.PortName(at + ".name", port.Name, requireName, names) is { } badName)
        {
            yield return badName;
        }

        if (FieldValidation.PortNumber(at + ".port", port.Port) is { } badPort)
        {
            yield return badPort;
        }

        if (string.IsNullOrEmpty(port.Protocol))
        {
            yield return new FieldError(FieldErrorType.Required, at + ".protocol", null, "");
        }
        else if (SupportedValues.Protocols.Check(at + ".protocol", port.Protocol) is { } badProtocol)
        {
            yield return badProtocol;
        }
    }
}
