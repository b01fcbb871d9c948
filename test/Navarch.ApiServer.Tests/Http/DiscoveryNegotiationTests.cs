using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>Which discovery document an Accept header gets, as kube-apiserver negotiates it.</summary>
[Trait("Category", "Unit")]
public sealed class DiscoveryNegotiationTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("application/json", null)]
    [InlineData("*/*", null)]
    [InlineData("application/json;charset=utf-8", null)]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "v2")]
    [InlineData("application/json;as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io", "v2beta1")]
    // kubectl's own header; a leading space keeps this case's name apart from the one above (xunit cuts names at 50 characters).
    [InlineData(" application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2")]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1")]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", null)]
    [InlineData("application/json;q=0.9,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "v2")]
    [InlineData("application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5", null)]
    [InlineData("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "v2")]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0", null)]
    public void Accept_picks_the_aggregated_document_or_the_legacy_one(string? accept, string? expected) =>
        Assert.Equal(expected, DiscoveryNegotiation.AggregatedVersion(accept));

    [Theory]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true)]
    [InlineData("application/json; as=APIGroupDiscoveryList; g=apidiscovery.k8s.io; v=v2beta1", true)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void A_response_is_recognised_as_aggregated_by_its_content_type(string? contentType, bool expected) =>
        Assert.Equal(expected, DiscoveryNegotiation.IsAggregated(contentType));
}
