using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>kubectl get componentstatuses: computed on every read from the store and the components' Leases.</summary>
[Trait("Category", "Integration")]
public sealed class ComponentStatusTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_store_is_healthy_and_a_component_is_healthy_only_while_its_Lease_is_renewed()
    {
        // No scheduler or controller manager runs beside this API server.
        V1ComponentStatusList before = await fixture.Client.CoreV1.ListComponentStatusAsync();
        Assert.Equal(["controller-manager", "etcd-0", "scheduler"], before.Items.Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.Equal(("True", "ok"), (Healthy(before, "etcd-0").Status, Healthy(before, "etcd-0").Message));
        Assert.Equal("False", Healthy(before, "scheduler").Status);
        Assert.Contains("kube-scheduler", Healthy(before, "scheduler").Error, StringComparison.Ordinal);

        await fixture.Client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = "kube-scheduler" },
                Spec = new V1LeaseSpec { HolderIdentity = "test", LeaseDurationSeconds = 60, RenewTime = DateTime.UtcNow },
            },
            "kube-system");
        V1ComponentStatus scheduler = await fixture.Client.CoreV1.ReadComponentStatusAsync("scheduler");
        Assert.Equal(("True", "ok"), (scheduler.Conditions.Single().Status, scheduler.Conditions.Single().Message));

        // A stale Lease is an unhealthy component.
        await fixture.Client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = "kube-controller-manager" },
                Spec = new V1LeaseSpec { HolderIdentity = "test", LeaseDurationSeconds = 15, RenewTime = DateTime.UtcNow.AddMinutes(-5) },
            },
            "kube-system");
        Assert.Equal("False", (await fixture.Client.CoreV1.ReadComponentStatusAsync("controller-manager")).Conditions.Single().Status);
    }

    [Fact]
    public async Task Kubectl_get_cs_gets_a_Table_with_the_deprecation_warning_and_nothing_else_is_allowed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/v1/componentstatuses", UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/json;as=Table;v=v1;g=meta.k8s.io");
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        JsonNode table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Table", (string?)table["kind"]);
        Assert.Equal(["Name", "Status", "Message", "Error"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Contains(response.Headers.GetValues("Warning"), w => w.Contains("v1 ComponentStatus is deprecated in v1.19+", StringComparison.Ordinal));

        using HttpResponseMessage create = await fixture.Http.PostAsync(new Uri("/api/v1/componentstatuses", UriKind.Relative), new StringContent("{\"metadata\":{\"name\":\"x\"}}", new MediaTypeHeaderValue("application/json")));
        Assert.Equal(405, (int)create.StatusCode);
        using HttpResponseMessage missing = await fixture.Http.GetAsync(new Uri("/api/v1/componentstatuses/nope", UriKind.Relative));
        Assert.Equal(404, (int)missing.StatusCode);
    }

    private static V1ComponentCondition Healthy(V1ComponentStatusList list, string name) =>
        list.Items.Single(c => c.Metadata.Name == name).Conditions.Single(c => c.Type == "Healthy");
}
