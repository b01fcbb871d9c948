using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>RequestInfo parsing, case by case from k8s.io/apiserver's TestGetAPIRequestInfo (endpoints/request/requestinfo_test.go).</summary>
[Trait("Category", "Unit")]
public sealed class RequestInfoFactoryTests
{
    public static TheoryData<string, string, string, string, string, string?, string, string?, string?, string> Resources => new()
    {
        // method, url, verb, group, version, namespace, resource, name, subresource, parts
        { "GET", "/api/v1/namespaces", "list", "", "v1", null, "namespaces", null, null, "namespaces" },
        { "GET", "/api/v1/namespaces/other/pods", "list", "", "v1", "other", "pods", null, null, "pods" },
        { "GET", "/api/v1/namespaces/other/pods/foo", "get", "", "v1", "other", "pods", "foo", null, "pods/foo" },
        { "GET", "/api/v1/pods", "list", "", "v1", null, "pods", null, null, "pods" },
        { "GET", "/api/v1/pods?watch=true", "watch", "", "v1", null, "pods", null, null, "pods" },
        { "GET", "/api/v1/pods?watch=false", "list", "", "v1", null, "pods", null, null, "pods" },
        { "GET", "/api/v1/namespaces/other/pods?watch=1", "watch", "", "v1", "other", "pods", null, null, "pods" },
        { "GET", "/api/v1/namespaces/other/pods?watch=0", "list", "", "v1", "other", "pods", null, null, "pods" },

        // subresource identification
        { "GET", "/api/v1/namespaces/other/pods/foo/status", "get", "", "v1", "other", "pods", "foo", "status", "pods/foo/status" },
        { "GET", "/api/v1/namespaces/other/pods/foo/proxy/subpath", "get", "", "v1", "other", "pods", "foo", "proxy", "pods/foo/proxy/subpath" },
        { "POST", "/api/v1/namespaces/other/pods/foo/exec", "create", "", "v1", "other", "pods", "foo", "exec", "pods/foo/exec" },

        // verb identification
        { "PATCH", "/api/v1/namespaces/other/pods/foo", "patch", "", "v1", "other", "pods", "foo", null, "pods/foo" },
        { "DELETE", "/api/v1/namespaces/other/pods/foo", "delete", "", "v1", "other", "pods", "foo", null, "pods/foo" },
        { "POST", "/api/v1/namespaces/other/pods", "create", "", "v1", "other", "pods", null, null, "pods" },
        { "PUT", "/api/v1/namespaces/other/pods/foo", "update", "", "v1", "other", "pods", "foo", null, "pods/foo" },

        // deletecollection verb identification
        { "DELETE", "/api/v1/nodes", "deletecollection", "", "v1", null, "nodes", null, null, "nodes" },
        { "DELETE", "/api/v1/namespaces", "deletecollection", "", "v1", null, "namespaces", null, null, "namespaces" },
        { "DELETE", "/api/v1/namespaces/other/pods", "deletecollection", "", "v1", "other", "pods", null, null, "pods" },
        { "DELETE", "/apis/extensions/v1/namespaces/other/pods", "deletecollection", "extensions", "v1", "other", "pods", null, null, "pods" },

        // api group and version identification
        { "POST", "/apis/extensions/v1/namespaces/other/pods", "create", "extensions", "v1", "other", "pods", null, null, "pods" },
        { "POST", "/apis/extensions/v1beta3/namespaces/other/pods", "create", "extensions", "v1beta3", "other", "pods", null, null, "pods" },

        // A Namespace object and its status/finalize: Kubernetes sets the namespace to the object's name here;
        // Navarch authorizes Namespace objects at the cluster scope (unchanged by the RequestInfo split).
        { "GET", "/api/v1/namespaces/other", "get", "", "v1", null, "namespaces", "other", null, "namespaces/other" },
        { "PUT", "/api/v1/namespaces/other/finalize", "update", "", "v1", null, "namespaces", "other", "finalize", "namespaces/other/finalize" },
        { "PUT", "/api/v1/namespaces/other/status", "update", "", "v1", null, "namespaces", "other", "status", "namespaces/other/status" },
    };

    [Theory]
    [MemberData(nameof(Resources))]
    public void Parses_resource_requests(string method, string url, string verb, string group, string version, string? ns, string resource, string? name, string? subresource, string parts)
    {
        RequestInfo info = Parse(method, url);

        Assert.True(info.IsResourceRequest);
        Assert.Equal(verb, info.Verb);
        Assert.Equal(group.Length == 0 ? "api" : "apis", info.ApiPrefix);
        Assert.Equal(group, info.Group);
        Assert.Equal(version, info.Version);
        Assert.Equal(ns, info.Namespace);
        Assert.Equal(resource, info.Resource);
        Assert.Equal(name, info.Name);
        Assert.Equal(subresource, info.Subresource);
        Assert.Equal(parts.Split('/'), info.Parts);
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/healthz")]
    [InlineData("GET", "/api")]
    [InlineData("GET", "/api/v1")]
    [InlineData("GET", "/apis")]
    [InlineData("GET", "/apis/extensions")]
    [InlineData("GET", "/apis/extensions/v1")]
    [InlineData("GET", "/openapi/v3/apis/apps/v1")]
    public void Leaves_non_resource_requests_as_such(string method, string url)
    {
        RequestInfo info = Parse(method, url);

        Assert.False(info.IsResourceRequest);
        Assert.Equal(method.ToLowerInvariant(), info.Verb);
    }

    [Fact]
    public void Parses_the_options_of_the_verb_and_keeps_a_malformed_one_for_after_authorization()
    {
        RequestOptions list = Parse("GET", "/api/v1/pods?limit=5&continue=abc&labelSelector=app%3Dweb&resourceVersion=42").Options;
        Assert.Equal(5, list.Limit);
        Assert.Equal("abc", list.Continue);
        Assert.Equal(42, list.Revision);
        Assert.True(list.Labels.Matches(new Dictionary<string, string> { ["app"] = "web" }));
        Assert.Null(list.Error);

        RequestOptions watch = Parse("GET", "/api/v1/pods?watch=1&resourceVersion=7&timeoutSeconds=30&allowWatchBookmarks=true").Options;
        Assert.Equal((7, 30, true), (watch.Revision, watch.TimeoutSeconds, watch.AllowWatchBookmarks));

        // A delete's options are DeleteOptions, read by the handler from the body or else the query: not parsed (nor refused) here.
        RequestOptions delete = Parse("DELETE", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=x&propagationPolicy=Foreground&dryRun=Bogus").Options;
        Assert.Null(delete.Error);

        // A list's limit is parsed (and a bad one reported after authorization); a get ignores it, as it always has.
        Assert.Equal("invalid limit: ten", Parse("GET", "/api/v1/pods?limit=ten").Options.Error?.Status.Message);
        Assert.Null(Parse("GET", "/api/v1/namespaces/default/pods/p?limit=ten").Options.Error);

        // resourceVersionMatch with continue is refused, as ValidateListOptions refuses it.
        Assert.Equal(422, Parse("GET", "/api/v1/pods?continue=abc&resourceVersion=42&resourceVersionMatch=Exact").Options.Error?.Status.Code);

        // Any resourceVersion will do for NotOlderThan, so it is not read.
        Assert.Null(Parse("GET", "/api/v1/pods?resourceVersion=x&resourceVersionMatch=NotOlderThan").Options.Error);
    }

    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/pods?watch=true", true)]
    [InlineData("GET", "/api/v1/namespaces/default/pods/p/log?follow=true", true)]
    [InlineData("POST", "/api/v1/namespaces/default/pods/p/exec", true)]
    [InlineData("GET", "/api/v1/namespaces/default/pods/p/portforward", true)]
    [InlineData("GET", "/api/v1/nodes/n/proxy", true)]
    [InlineData("GET", "/api/v1/namespaces/default/pods", false)]
    [InlineData("POST", "/api/v1/namespaces/default/pods/p/binding", false)]
    public void Long_running_requests_are_watches_and_streams(string method, string url, bool longRunning) =>
        Assert.Equal(longRunning, RequestPipeline.IsLongRunning(Parse(method, url)));

    private static RequestInfo Parse(string method, string url)
    {
        string[] split = url.Split('?', 2);
        var query = new QueryCollection(split.Length > 1 ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(split[1]) : new Dictionary<string, StringValues>());
        return RequestInfoFactory.Parse(method, split[0], query);
    }
}
