using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.Api.Machinery.Tests;

/// <summary>The catalog changes while it is read: added, replaced and removed resources, each change a new version.</summary>
[Trait("Category", "Unit")]
public sealed class ResourceCatalogTests
{
    [Fact]
    public void Adds_replaces_and_removes_resources_with_a_version_and_a_notification_per_change()
    {
        ResourceCatalog catalog = ResourceCatalog.CreateBuiltIn();
        ResourceDefinition configMaps = catalog.Find("", "v1", "configmaps")!;
        ResourceDefinition widgets = configMaps with { Group = "example.com", Plural = "widgets", Singular = "widget", StoragePrefix = "/registry/example.com/widgets" };
        var changes = new List<ResourceCatalogChangedEventArgs>();
        catalog.Changed += (_, change) => changes.Add(change);
        long before = catalog.Version;

        catalog.Add(widgets);
        Assert.Same(widgets, catalog.Find("example.com", "v1", "widgets"));
        Assert.Contains(("example.com", "v1"), catalog.GroupVersions);
        Assert.Equal(before + 1, catalog.Version);

        ResourceDefinition renamed = widgets with { ShortNames = ["wd"] };
        catalog.Add(renamed);
        Assert.Same(renamed, catalog.Find("example.com", "v1", "widgets"));
        Assert.Single(catalog.All, d => d.Group == "example.com");

        Assert.True(catalog.Remove("example.com", "v1", "widgets"));
        Assert.False(catalog.Remove("example.com", "v1", "widgets"));
        Assert.Null(catalog.Find("example.com", "v1", "widgets"));
        Assert.DoesNotContain(("example.com", "v1"), catalog.GroupVersions);

        Assert.Equal(before + 3, catalog.Version);
        Assert.Equal([before + 1, before + 2, before + 3], changes.Select(c => c.Version));
        Assert.Equal((widgets, null), (changes[0].Added, changes[0].Removed));
        Assert.Equal((renamed, widgets), (changes[1].Added, changes[1].Removed));
        Assert.Equal((null, renamed), (changes[2].Added, changes[2].Removed));

        // The shared built-in catalog is another instance.
        Assert.Null(ResourceCatalog.Default.Find("example.com", "v1", "widgets"));
    }
}
