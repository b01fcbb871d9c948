using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>Objects as written to clients: Go writes a kind's spec and status structs even when empty.</summary>
[Trait("Category", "Unit")]
public sealed class ResponseShapeTests
{
    [Fact]
    public void A_missing_spec_or_status_is_written_empty()
    {
        var deployment = new V1Deployment { ApiVersion = "apps/v1", Kind = "Deployment", Metadata = new V1ObjectMeta { Name = "web" } };
        var node = (JsonObject)ObjectCodec.ToResponseNode(deployment);
        Assert.Equal("{}", node["spec"]!.ToJsonString());
        Assert.Equal("{}", node["status"]!.ToJsonString());
    }

    [Fact]
    public void A_status_that_is_there_is_kept_and_kinds_without_one_get_none()
    {
        var pod = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = "p" }, Status = new V1PodStatus { Phase = "Running" } };
        Assert.Equal("Running", (string?)ObjectCodec.ToResponseNode(pod)["status"]!["phase"]);

        var configMap = (JsonObject)ObjectCodec.ToResponseNode(new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "c" } });
        Assert.False(configMap.ContainsKey("spec") || configMap.ContainsKey("status"));
    }
}
