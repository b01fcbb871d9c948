using System.Net;
using System.Text.Json;
using static Navarch.ApiServer.Tests.Authorization.RbacServer;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>
/// Impersonation headers, each authorized with the impersonate verb (users, groups, serviceaccounts, uids,
/// userextras/&lt;key&gt;), with Kubernetes' messages, and the user a request then acts as.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ImpersonationTests(RbacServer server) : IClassFixture<RbacServer>
{
    private const string WhoAmI = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    private const string Review = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";

    private static JsonElement UserInfo(string body) => JsonDocument.Parse(body).RootElement.GetProperty("status").GetProperty("userInfo");

    [Fact]
    public async Task An_admin_acts_as_the_impersonated_user_who_is_authenticated_and_no_more()
    {
        (HttpStatusCode code, string body) = await server.SendAsync(null, HttpMethod.Get, "/api/v1/namespaces/default/pods", headers: [("Impersonate-User", "alice")]);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", Message(body));

        // (HttpClient joins repeated headers into one line; kubectl's repeated --as-group are in the E2E tests.)
        (code, body) = await server.SendAsync(null, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "alice"), ("Impersonate-Uid", "1234"), ("Impersonate-Extra-Scopes", "view")]);
        Assert.Equal(HttpStatusCode.Created, code);
        JsonElement user = UserInfo(body);
        Assert.Equal(("alice", "1234"), (user.GetProperty("username").GetString(), user.GetProperty("uid").GetString()));
        Assert.Equal(["system:authenticated"], user.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(["view"], user.GetProperty("extra").GetProperty("scopes").EnumerateArray().Select(g => g.GetString()));

        (code, body) = await server.SendAsync(null, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "system:serviceaccount:team:bot")]);
        user = UserInfo(body);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"], user.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));

        (code, body) = await server.SendAsync(null, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "alice"), ("Impersonate-Group", "devs")]);
        Assert.Equal(["devs", "system:authenticated"], UserInfo(body).GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task Impersonating_needs_the_impersonate_verb_on_each_thing_asked()
    {
        string token = await server.ServiceAccountTokenAsync("imp", "actor");
        string actor = "system:serviceaccount:imp:actor";
        (HttpStatusCode code, string body) = await server.SendAsync(token, HttpMethod.Get, "/api/v1/namespaces/imp/pods", headers: [("Impersonate-User", "alice")]);
        Assert.Equal((HttpStatusCode.Forbidden, $"users \"alice\" is forbidden: User \"{actor}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"), (code, Message(body)));

        await server.GrantAsync("impersonate-alice", ServiceAccount("imp", "actor"), null,
            new k8s.Models.V1PolicyRule { ApiGroups = [""], Resources = ["users"], ResourceNames = ["alice"], Verbs = ["impersonate"] });
        (code, body) = await server.SendAsync(token, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "alice")]);
        Assert.Equal((HttpStatusCode.Created, "alice"), (code, UserInfo(body).GetProperty("username").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await server.SendAsync(token, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "bob")])).Code);

        (code, body) = await server.SendAsync(token, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "alice"), ("Impersonate-Group", "devs")]);
        Assert.Equal($"groups \"devs\" is forbidden: User \"{actor}\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope", Message(body));
        (code, body) = await server.SendAsync(token, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "alice"), ("Impersonate-Extra-Scopes", "view")]);
        Assert.Equal($"userextras.authentication.k8s.io \"view\" is forbidden: User \"{actor}\" cannot impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at the cluster scope", Message(body));
        (code, body) = await server.SendAsync(token, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "alice"), ("Impersonate-Uid", "1234")]);
        Assert.Equal($"uids.authentication.k8s.io \"1234\" is forbidden: User \"{actor}\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope", Message(body));
        (code, body) = await server.SendAsync(token, HttpMethod.Post, WhoAmI, Review, [("Impersonate-User", "system:serviceaccount:team:bot")]);
        Assert.Equal($"serviceaccounts \"bot\" is forbidden: User \"{actor}\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"team\"", Message(body));

        (code, body) = await server.SendAsync(token, HttpMethod.Get, "/api/v1/namespaces/imp/pods", headers: [("Impersonate-Group", "system:masters")]);
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("without impersonating a user", Message(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_resource_URLs_are_authorized_too()
    {
        string token = await server.ServiceAccountTokenAsync("urls", "plain");
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(token, HttpMethod.Get, "/apis")).Code);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(token, HttpMethod.Get, "/api/v1")).Code);
        (HttpStatusCode code, string body) = await server.SendAsync(token, HttpMethod.Get, "/metrics");
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden: User \"system:serviceaccount:urls:plain\" cannot get path \"/metrics\""), (code, Message(body)));
    }
}
