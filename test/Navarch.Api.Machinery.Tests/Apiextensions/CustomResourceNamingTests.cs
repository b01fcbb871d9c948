using k8s.Models;
using Navarch.Api.Apiextensions;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class CustomResourceNamingTests
{
    private static readonly DateTime Now = new(2026, 12, 7, 3, 0, 0, DateTimeKind.Utc);

    private static V1CustomResourceDefinition Crd(string plural, string kind, string group = "example.com", string[]? shortNames = null, bool accepted = false)
    {
        var names = new V1CustomResourceDefinitionNames { Plural = plural, Kind = kind, Singular = kind.ToLowerInvariant(), ListKind = kind + "List", ShortNames = shortNames };
        return new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = $"{plural}.{group}" },
            Spec = new V1CustomResourceDefinitionSpec { Group = group, Names = names, Scope = "Namespaced", Versions = [] },
            Status = accepted ? new V1CustomResourceDefinitionStatus { AcceptedNames = new V1CustomResourceDefinitionNames { Plural = plural, Kind = kind, Singular = names.Singular, ListKind = names.ListKind, ShortNames = shortNames } } : null,
        };
    }

    [Fact]
    public void Names_no_other_crd_of_the_group_holds_are_accepted_and_the_crd_established()
    {
        CustomResourceNaming.Outcome outcome = CustomResourceNaming.Calculate(Crd("widgets", "Widget", shortNames: ["wd"]), [Crd("widgets", "Widget", group: "other.com", accepted: true)], Now);
        Assert.Equal(("widgets", "widget", "Widget", "WidgetList"), (outcome.AcceptedNames.Plural, outcome.AcceptedNames.Singular, outcome.AcceptedNames.Kind, outcome.AcceptedNames.ListKind));
        Assert.Equal(("True", "NoConflicts", "no conflicts found"), (outcome.NamesAccepted.Status, outcome.NamesAccepted.Reason, outcome.NamesAccepted.Message));
        Assert.Equal(("True", "InitialNamesAccepted", "the initial names have been accepted"), (outcome.Established.Status, outcome.Established.Reason, outcome.Established.Message));
        Assert.Equal(Now, outcome.Established.LastTransitionTime);
    }

    [Theory]
    [InlineData("widget", "Gadget", null, "PluralConflict", "\"widget\" is already in use")]
    [InlineData("gadgets", "Widget", null, "SingularConflict", "\"widget\" is already in use")]
    [InlineData("gadgets", "Gadget", "wd", "ShortNamesConflict", "\"wd\" is already in use")]
    public void A_name_held_by_another_crd_of_the_group_is_a_conflict(string plural, string kind, string? shortName, string reason, string message)
    {
        CustomResourceNaming.Outcome outcome = CustomResourceNaming.Calculate(
            Crd(plural, kind, shortNames: shortName is null ? null : [shortName]), [Crd("widgets", "Widget", shortNames: ["wd"], accepted: true)], Now);
        Assert.Equal(("False", reason, message), (outcome.NamesAccepted.Status, outcome.NamesAccepted.Reason, outcome.NamesAccepted.Message));
        Assert.Equal(("False", "NotAccepted", "not all names are accepted"), (outcome.Established.Status, outcome.Established.Reason, outcome.Established.Message));
    }

    [Fact]
    public void A_kind_held_by_another_crd_is_a_kind_conflict()
    {
        V1CustomResourceDefinition crd = Crd("gadgets", "Widget");
        crd.Spec.Names.Singular = "gadget";
        CustomResourceNaming.Outcome outcome = CustomResourceNaming.Calculate(crd, [Crd("widgets", "Widget", accepted: true)], Now);
        Assert.Equal(("KindConflict", "\"Widget\" is already in use"), (outcome.NamesAccepted.Reason, outcome.NamesAccepted.Message));
    }

    [Fact]
    public void An_established_crd_stays_established_and_keeps_names_it_holds()
    {
        V1CustomResourceDefinition crd = Crd("widgets", "Widget", accepted: true);
        crd.Status.Conditions = [new V1CustomResourceDefinitionCondition { Type = "Established", Status = "True", LastTransitionTime = Now.AddHours(-1) }];
        crd.Spec.Names.Plural = "things";
        CustomResourceNaming.Outcome outcome = CustomResourceNaming.Calculate(crd, [Crd("things", "Thing", accepted: true)], Now);
        Assert.Equal("widgets", outcome.AcceptedNames.Plural);
        Assert.Equal("PluralConflict", outcome.NamesAccepted.Reason);
        Assert.Equal("True", outcome.Established.Status);
        Assert.Equal(Now.AddHours(-1), outcome.Established.LastTransitionTime);
    }
}
