using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Networking;

/// <summary>Kubernetes' <c>ValidateNetworkPolicySpec</c>: policy types, rule ports and rule peers.</summary>
internal static class NetworkPolicyValidation
{
    private static readonly SupportedValues PolicyTypes = new("Egress", "Ingress");

    /// <summary>A spec; policyTypes; the ports and peers of every ingress and egress rule.</summary>
    public static IEnumerable<FieldError> Validate(V1NetworkPolicy policy)
    {
        if (policy.Spec is null)
        {
            // Defaulting gives every policy a spec (a Go struct, never absent); nothing to check without one.
            yield break;
        }

        IList<string> types = policy.Spec.PolicyTypes ?? [];
        if (types.Count > 2)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.policyTypes", string.Join(",", types), "may not specify more than two policyTypes");
        }

        for (int i = 0; i < types.Count; i++)
        {
            if (PolicyTypes.Check($"spec.policyTypes[{i}]", types[i]) is { } badType)
            {
                yield return badType;
            }
        }

        var rules = (policy.Spec.Ingress ?? []).Select((r, i) => (Path: $"spec.ingress[{i}]", r?.Ports, Peers: r?.FromProperty, PeerField: "from"))
            .Concat((policy.Spec.Egress ?? []).Select((r, i) => (Path: $"spec.egress[{i}]", r?.Ports, Peers: r?.To, PeerField: "to")));
        foreach ((string path, IList<V1NetworkPolicyPort>? ports, IList<V1NetworkPolicyPeer>? peers, string peerField) in rules)
        {
            foreach (FieldError error in (ports ?? []).SelectMany((p, j) => Port(p, $"{path}.ports[{j}]")))
            {
                yield return error;
            }

            foreach (FieldError error in (peers ?? []).SelectMany((p, j) => Peer(p, $"{path}.{peerField}[{j}]")))
            {
                yield return error;
            }
        }
    }

    private static IEnumerable<FieldError> Port(V1NetworkPolicyPort? port, string at)
    {
        if (port is null)
        {
            yield break;
        }

        if (port.Protocol is { } protocol && SupportedValues.Protocols.Check(at + ".protocol", protocol) is { } badProtocol)
        {
            yield return badProtocol;
        }

        if (port.Port is null)
        {
            if (port.EndPort is { } orphan)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".endPort", orphan, "may not be specified when `port` is not specified");
            }

            yield break;
        }

        bool numeric = int.TryParse(port.Port.Value, out int number);
        if (numeric && FieldValidation.PortNumber(at + ".port", number) is { } badPort)
        {
            yield return badPort;
        }

        if (port.EndPort is { } end && (!numeric || end < number))
        {
            yield return new FieldError(FieldErrorType.Invalid, at + ".endPort", end, numeric ? "must be greater than or equal to `port`" : "may not be specified when `port` is non-numeric");
        }
    }

    private static IEnumerable<FieldError> Peer(V1NetworkPolicyPeer? peer, string at)
    {
        int kinds = (peer?.PodSelector is null ? 0 : 1) + (peer?.NamespaceSelector is null ? 0 : 1) + (peer?.IpBlock is null ? 0 : 1);
        if (kinds == 0)
        {
            yield return new FieldError(FieldErrorType.Required, at, null, "must specify a peer");
            yield break;
        }

        if (peer!.IpBlock is not { } block)
        {
            yield break;
        }

        if (kinds > 1)
        {
            yield return new FieldError(FieldErrorType.Forbidden, at, null, "may not specify both ipBlock and another peer");
        }

        if (string.IsNullOrEmpty(block.Cidr))
        {
            yield return new FieldError(FieldErrorType.Required, at + ".ipBlock.cidr", null, "");
            yield break;
        }

        if (Cidr.Parse(block.Cidr) is not { } cidr)
        {
            yield return InvalidCidr(at + ".ipBlock.cidr", block.Cidr);
            yield break;
        }

        for (int i = 0; i < (block.Except?.Count ?? 0); i++)
        {
            string text = block.Except![i];
            string path = $"{at}.ipBlock.except[{i}]";
            if (Cidr.Parse(text) is not { } except)
            {
                yield return InvalidCidr(path, text);
            }
            else if (!cidr.StrictlyContains(except))
            {
                yield return new FieldError(FieldErrorType.Invalid, path, text, "must be a strict subset of `cidr`");
            }
        }
    }

    private static FieldError InvalidCidr(string path, string value) =>
        new(FieldErrorType.Invalid, path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");

    /// <summary>An address and prefix length; IPv4 only in dotted-quad form, as Go parses it.</summary>
    private readonly record struct Cidr(byte[] Address, int Bits)
    {
        public static Cidr? Parse(string text)
        {
            int slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int bits))
            {
                return null;
            }

            string address = text[..slash];
            bool v4 = address.Count(c => c == '.') == 3 && !address.Contains(':', StringComparison.Ordinal);
            if (!IPAddress.TryParse(address, out IPAddress? ip) || (ip.AddressFamily == AddressFamily.InterNetwork) != v4)
            {
                return null;
            }

            byte[] bytes = ip.GetAddressBytes();
            return bits <= bytes.Length * 8 ? new Cidr(bytes, bits) : null;
        }

        /// <summary>Whether <paramref name="inner"/> is inside this and narrower.</summary>
        public bool StrictlyContains(Cidr inner)
        {
            if (inner.Address.Length != Address.Length || inner.Bits <= Bits)
            {
                return false;
            }

            for (int bit = 0; bit < Bits; bit++)
            {
                int mask = 0x80 >> (bit % 8);
                if ((Address[bit / 8] & mask) != (inner.Address[bit / 8] & mask))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
