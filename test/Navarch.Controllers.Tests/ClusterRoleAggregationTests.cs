using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The clusterrole-aggregation controller against a real API server: a custom ClusterRole labelled
/// aggregate-to-edit joins edit and, through edit, admin; taking the label away takes its rules out again; any
/// ClusterRole with an aggregationRule is kept up to date.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterRoleAggregationTests : ControllerCluster
{
    private static readonly V1PolicyRule Widgets = new() { ApiGroups = ["example.com"], Resources = ["widgets"], Verbs = ["create", "delete", "update"] };

    private async Task<bool> Holds(string role, string resource) =>
        (await Client.RbacAuthorizationV1.ReadClusterRoleAsync(role)).Rules?.Any(r => r.Resources?.Contains(resource) == true) == true;

    [Fact]
    public async Task A_role_labelled_aggregate_to_edit_joins_edit_and_admin_until_its_label_goes()
    {
        await Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "widgets-edit", Labels = new Dictionary<string, string> { ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true" } },
            Rules = [Widgets],
        });
        await Eventually(() => Holds("edit", "widgets"), "edit holds the widget rule");
        await Eventually(() => Holds("admin", "widgets"), "admin holds the widget rule through edit");
        Assert.False(await Holds("view", "widgets"));
        Assert.True(await Holds("edit", "deployments"));

        await Client.RbacAuthorizationV1.PatchClusterRoleAsync(new V1Patch("""{"metadata":{"labels":{"rbac.authorization.k8s.io/aggregate-to-edit":null}}}""", V1Patch.PatchType.MergePatch), "widgets-edit");
        await Eventually(async () => !await Holds("edit", "widgets") && !await Holds("admin", "widgets"), "the widget rule leaves edit and admin");
    }

    [Fact]
    public async Task A_custom_aggregated_role_gathers_what_its_selectors_select()
    {
        await Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "team-powers" },
            AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = "a" } }] },
        });
        await Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "team-a-widgets", Labels = new Dictionary<string, string> { ["team"] = "a" } },
            Rules = [Widgets],
        });
        await Eventually(() => Holds("team-powers", "widgets"), "team-powers gathers the widget rule");
        await Client.RbacAuthorizationV1.DeleteClusterRoleAsync("team-a-widgets");
        await Eventually(async () => !await Holds("team-powers", "widgets"), "team-powers loses it with its source");
    }
}
