using System.Net;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidateNode</c>: podCIDRs and taints.</summary>
internal static class NodeValidation
{
    private static readonly SupportedValues TaintEffects = new("NoExecute", "NoSchedule", "PreferNoSchedule");

    /// <summary>podCIDRs parse; taints have a qualified key and an effect, unique by key and effect.</summary>
    public static IEnumerable<FieldError> Validate(V1Node n)
    {
        IList<string> cidrs = n.Spec?.PodCIDRs ?? (n.Spec?.PodCIDR is { Length: > 0 } one ? [one] : []);
        for (int i = 0; i < cidrs.Count; i++)
        {
            if (!IPNetwork.TryParse(cidrs[i], out _))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.podCIDRs[{i}]", cidrs[i], "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
            }
        }

        IList<V1Taint> taints = n.Spec?.Taints ?? [];
        var seen = new HashSet<(string, string)>();
        for (int i = 0; i < taints.Count; i++)
        {
            string at = $"spec.taints[{i}]";
            foreach (string problem in MetadataValidation.QualifiedNameProblems(taints[i].Key ?? ""))
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".key", taints[i].Key ?? "", problem);
            }

            if (string.IsNullOrEmpty(taints[i].Effect))
            {
                yield return new FieldError(FieldErrorType.Required, at + ".effect", null, "");
            }
            else if (TaintEffects.Check(at + ".effect", taints[i].Effect) is { } badEffect)
            {
                yield return badEffect;
            }

            if (!seen.Add((taints[i].Key ?? "", taints[i].Effect ?? "")))
            {
                yield return new FieldError(FieldErrorType.Duplicate, at, $"{taints[i].Key}:{taints[i].Effect}", "taints must be unique by key and effect pair");
            }
        }
    }
}
