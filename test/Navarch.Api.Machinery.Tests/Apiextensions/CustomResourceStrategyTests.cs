using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class CustomResourceStrategyTests
{
    private static V1CustomResourceDefinition Crd(bool status, bool deprecated = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = "widgets.example.com" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = "example.com",
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Kind = "Widget" },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = "v1beta1",
                    Served = true,
                    Storage = true,
                    Deprecated = deprecated,
                    Subresources = status ? new V1CustomResourceSubresources { Status = new object() } : null,
                    AdditionalPrinterColumns = [new V1CustomResourceColumnDefinition { Name = "Size", Type = "integer", JsonPath = ".spec.size" }, new V1CustomResourceColumnDefinition { Name = "Ready", Type = "boolean", JsonPath = ".status.ready" }],
                    SelectableFields = [new V1SelectableField { JsonPath = ".spec.color" }],
                },
                new V1CustomResourceDefinitionVersion { Name = "v1", Served = true, Storage = false },
            ],
        },
    };

    private static CustomResource Widget(string json) => JsonSerializer.Deserialize<CustomResource>(json, KubernetesSerialization.Options)!;

    [Fact]
    public void With_a_status_subresource_the_main_resource_keeps_the_stored_status_and_status_writes_keep_the_rest()
    {
        var strategy = new CustomResourceStrategy(Crd(status: true), Crd(status: true).Spec.Versions[0]);
        CustomResource created = Widget("""{"metadata":{"name":"w"},"spec":{"size":1},"status":{"ready":true}}""");
        strategy.PrepareForCreate(created);
        Assert.False(created.Content.ContainsKey("status"));
        Assert.Equal(1, created.Metadata.Generation);

        CustomResource old = Widget("""{"metadata":{"name":"w","generation":1,"labels":{"a":"b"}},"spec":{"size":1},"status":{"ready":false}}""");
        CustomResource update = Widget("""{"metadata":{"name":"w"},"spec":{"size":1},"status":{"ready":true}}""");
        strategy.PrepareForUpdate(update, old);
        Assert.False((bool)update.Content["status"]!["ready"]!);
        Assert.Equal(1, update.Metadata.Generation);

        update = Widget("""{"metadata":{"name":"w"},"spec":{"size":2}}""");
        strategy.PrepareForUpdate(update, old);
        Assert.Equal(2, update.Metadata.Generation);

        CustomResource status = Widget("""{"metadata":{"name":"w","labels":{"x":"y"}},"spec":{"size":9},"status":{"ready":true}}""");
        strategy.PrepareForStatusUpdate(status, old);
        Assert.Equal(1, (int)status.Content["spec"]!["size"]!);
        Assert.True((bool)status.Content["status"]!["ready"]!);
        Assert.Equal("b", status.Metadata.Labels["a"]);
    }

    [Fact]
    public void Without_a_status_subresource_any_change_bumps_the_generation()
    {
        var strategy = new CustomResourceStrategy(Crd(status: false), Crd(status: false).Spec.Versions[0]);
        CustomResource old = Widget("""{"metadata":{"name":"w","generation":4},"spec":{"size":1}}""");
        CustomResource update = Widget("""{"metadata":{"name":"w"},"spec":{"size":1},"status":{"ready":true}}""");
        strategy.PrepareForUpdate(update, old);
        Assert.Equal(5, update.Metadata.Generation);
        Assert.True((bool)update.Content["status"]!["ready"]!);
    }

    [Fact]
    public void Printer_columns_selectable_fields_and_metadata_validation()
    {
        var strategy = new CustomResourceStrategy(Crd(status: true), Crd(status: true).Spec.Versions[0]);
        Assert.Equal(["Name", "Size", "Ready"], strategy.TableColumns.Select(c => c.Name));
        CustomResource w = Widget("""{"metadata":{"name":"w","namespace":"default"},"spec":{"size":"not a number","color":"red"},"status":{"ready":true}}""");
        Assert.Equal(["w", null, true], strategy.TableRow(w, DateTimeOffset.UnixEpoch));
        Assert.Equal("red", strategy.SelectableFields(w)["spec.color"]);
        Assert.Equal("default", strategy.SelectableFields(w)["metadata.namespace"]);
        Assert.Equal("", strategy.SelectableFields(Widget("""{"metadata":{"name":"x"}}"""))["spec.color"]);
        FieldError error = Assert.Single(strategy.Validate(Widget("""{"metadata":{"name":"Bad_Name"}}""")));
        Assert.Equal("metadata.name", error.Field);
    }

    [Fact]
    public void No_printer_columns_means_name_and_age()
    {
        V1CustomResourceDefinition crd = Crd(status: false);
        var strategy = new CustomResourceStrategy(crd, crd.Spec.Versions[1]);
        Assert.Equal(["Name", "Age"], strategy.TableColumns.Select(c => c.Name));
        CustomResource w = Widget("""{"metadata":{"name":"w","creationTimestamp":"2026-12-07T03:00:00Z"}}""");
        Assert.Equal(["w", "5m"], strategy.TableRow(w, new DateTimeOffset(2026, 12, 7, 3, 5, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void A_deprecated_version_warns_with_kubernetes_default_text()
    {
        V1CustomResourceDefinition crd = Crd(status: false, deprecated: true);
        Assert.Equal("example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget", new CustomResourceStrategy(crd, crd.Spec.Versions[0]).DeprecationWarning);
        crd.Spec.Versions[0].DeprecationWarning = "use v1";
        Assert.Equal("use v1", new CustomResourceStrategy(crd, crd.Spec.Versions[0]).DeprecationWarning);
        Assert.Null(new CustomResourceStrategy(crd, crd.Spec.Versions[1]).DeprecationWarning);
    }

    [Fact]
    public void A_custom_resource_round_trips_its_unknown_top_level_fields()
    {
        CustomResource w = Widget("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"data":{"x":[1,2]},"spec":{}}""");
        JsonNode back = JsonSerializer.SerializeToNode(w, KubernetesSerialization.Options)!;
        Assert.Equal("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"data":{"x":[1,2]},"spec":{}}""", back.ToJsonString());
    }
}
