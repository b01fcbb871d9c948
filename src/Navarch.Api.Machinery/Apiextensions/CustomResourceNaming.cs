using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// apiextensions-apiserver's naming controller, as a calculation: which of a CRD's requested names it may have (those
/// no other CRD of its group has accepted, or that it holds already), its <c>NamesAccepted</c> condition, and the
/// <c>Established</c> condition that follows (the establishing controller's, done at once here).
/// </summary>
public static class CustomResourceNaming
{
    /// <summary>The outcome for one CRD.</summary>
    /// <param name="AcceptedNames">The names it is served under.</param>
    /// <param name="NamesAccepted">Its NamesAccepted condition.</param>
    /// <param name="Established">Its Established condition.</param>
    public sealed record Outcome(V1CustomResourceDefinitionNames AcceptedNames, V1CustomResourceDefinitionCondition NamesAccepted, V1CustomResourceDefinitionCondition Established);

    /// <summary>
    /// The names and conditions of <paramref name="crd"/> given <paramref name="others"/>, every other CRD (only those of
    /// its group matter), at <paramref name="now"/>.
    /// </summary>
    public static Outcome Calculate(V1CustomResourceDefinition crd, IEnumerable<V1CustomResourceDefinition> others, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(crd);
        var resources = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1CustomResourceDefinition other in others.Where(o => o.Metadata.Name != crd.Metadata.Name && o.Spec.Group == crd.Spec.Group))
        {
            if (other.Status?.AcceptedNames is not { } taken)
            {
                continue;
            }

            resources.UnionWith(new[] { taken.Plural, taken.Singular }.Concat(taken.ShortNames ?? []).Where(n => !string.IsNullOrEmpty(n)));
            kinds.UnionWith(new[] { taken.Kind, taken.ListKind }.Where(n => !string.IsNullOrEmpty(n)));
        }

        V1CustomResourceDefinitionNames requested = crd.Spec.Names;
        V1CustomResourceDefinitionNames accepted = crd.Status?.AcceptedNames ?? new V1CustomResourceDefinitionNames { Kind = "", Plural = "" };
        var names = new V1CustomResourceDefinitionNames { Kind = "", Plural = "", Categories = requested.Categories };
        var problems = new List<(string Reason, string Message)>();

        string Pick(string? want, string? held, HashSet<string> used, string reason)
        {
            if (string.IsNullOrEmpty(want) || want == held || !used.Contains(want))
            {
                return want ?? "";
            }

            problems.Add((reason, $"\"{want}\" is already in use"));
            return held ?? "";
        }

        names.Plural = Pick(requested.Plural, accepted.Plural, resources, "PluralConflict");
        names.Singular = NullIfEmpty(Pick(requested.Singular, accepted.Singular, resources, "SingularConflict"));
        string? shortConflict = requested.ShortNames?.FirstOrDefault(s => resources.Contains(s) && accepted.ShortNames?.Contains(s) != true);
        if (shortConflict is not null)
        {
            problems.Add(("ShortNamesConflict", $"\"{shortConflict}\" is already in use"));
            names.ShortNames = accepted.ShortNames;
        }
        else
        {
            names.ShortNames = requested.ShortNames;
        }

        names.Kind = Pick(requested.Kind, accepted.Kind, kinds, "KindConflict");
        names.ListKind = NullIfEmpty(Pick(requested.ListKind, accepted.ListKind, kinds, "ListKindConflict"));

        var namesAccepted = problems.Count == 0
            ? Condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", crd, now)
            : Condition("NamesAccepted", "False", problems[0].Reason, problems[0].Message, crd, now);
        bool wasEstablished = crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
        V1CustomResourceDefinitionCondition established = wasEstablished || problems.Count == 0
            ? Condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted", crd, now)
            : Condition("Established", "False", "NotAccepted", "not all names are accepted", crd, now);
        return new Outcome(names, namesAccepted, established);
    }

    /// <summary>A condition, keeping the last transition time of the current one when its status is unchanged.</summary>
    public static V1CustomResourceDefinitionCondition Condition(string type, string status, string reason, string message, V1CustomResourceDefinition crd, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(crd);
        V1CustomResourceDefinitionCondition? current = crd.Status?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1CustomResourceDefinitionCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastTransitionTime = current?.Status == status ? current.LastTransitionTime : now,
        };
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
