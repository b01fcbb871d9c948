using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>
/// Every spelling of a boolean query parameter, as kube-apiserver converts it (apimachinery's
/// Convert_Slice_string_To_bool): only absence, "0" and "false" in any case are false.
/// </summary>
[Trait("Category", "Unit")]
public sealed class QueryBooleanTests
{
    [Theory]
    [InlineData("1", true)]
    [InlineData("t", true)]
    [InlineData("T", true)]
    [InlineData("TRUE", true)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("", true)]
    [InlineData("yes", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("FALSE", false)]
    [InlineData("fAlSe", false)]
    public void A_spelling_reads_as_kube_apiserver_reads_it(string value, bool expected)
    {
        var query = new QueryCollection(new Dictionary<string, StringValues> { ["watch"] = value, ["allowWatchBookmarks"] = value });
        Assert.Equal(expected, RequestOptions.Flag(query, "watch"));
        Assert.Equal(expected ? "watch" : "list", RequestInfoFactory.Parse("GET", "/api/v1/pods", query).Verb);
        Assert.Equal(expected, RequestOptions.Parse("watch", query).AllowWatchBookmarks);
    }

    [Fact]
    public void An_absent_parameter_is_false()
    {
        Assert.False(RequestOptions.Flag(QueryCollection.Empty, "watch"));
        Assert.Equal("list", RequestInfoFactory.Parse("GET", "/api/v1/pods", QueryCollection.Empty).Verb);
    }
}
