using System.Text;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>Resources that appear while the server runs are stored, cached, watched and discovered like built-in ones.</summary>
[Trait("Category", "Integration")]
public sealed class StoreRegistryTests
{
    [Fact]
    public async Task A_resource_added_later_is_served_and_discovered_and_goes_when_removed()
    {
        await using RegistryHarness harness = await RegistryHarness.StartAsync();
        var discovery = new Discovery(harness.Catalog);
        Assert.Null(discovery.Find("/apis/example.com/v1"));
        ResourceDefinition widgets = harness.Catalog.Find("", "v1", "configmaps")! with
        {
            Group = "example.com",
            Plural = "widgets",
            Singular = "widget",
            StoragePrefix = "/registry/example.com/widgets",
        };

        harness.Catalog.Add(widgets);
        GenericStore store = harness.Stores.For(widgets);
        await store.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "w1", NamespaceProperty = "default" } }, dryRun: false, CancellationToken.None);

        // resourceVersion=0 reads the resource's watch cache, made on first use.
        ListPage page = await store.ListAsync("default", new ListQuery(LabelSelector.Everything, FieldSelector.Everything, AnyRevision: true), CancellationToken.None);
        Assert.Equal("w1", Assert.Single(page.Items).Metadata.Name);
        Assert.Contains("\"name\":\"widgets\"", Encoding.UTF8.GetString(discovery.Find("/apis/example.com/v1")!), StringComparison.Ordinal);
        Assert.Contains("example.com", Encoding.UTF8.GetString(discovery.Find("/apis")!), StringComparison.Ordinal);

        Assert.True(harness.Catalog.Remove("example.com", "v1", "widgets"));
        Assert.Null(discovery.Find("/apis/example.com/v1"));
        Assert.DoesNotContain("example.com", Encoding.UTF8.GetString(discovery.Find("/apis")!), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => harness.Stores.For("example.com", "v1", "widgets"));
    }
}
