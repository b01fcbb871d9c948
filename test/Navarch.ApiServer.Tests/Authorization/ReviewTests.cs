using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using static Navarch.ApiServer.Tests.Authorization.RbacServer;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>
/// The review APIs as create-only resources: SelfSubjectRulesReview, SubjectAccessReview, LocalSubjectAccessReview and
/// TokenReview answer from the server's authorizer and authenticators, are advertised with the create verb only and
/// refuse anything else.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReviewTests(RbacServer server) : IClassFixture<RbacServer>
{
    [Fact]
    public async Task A_rules_review_lists_what_the_caller_holds_in_the_namespace()
    {
        string token = await server.ServiceAccountTokenAsync("rules", "reader");
        await server.GrantAsync("rules-reader", ServiceAccount("rules", "reader"), "rules", Rule("", "pods", "get", "list"));
        using Kubernetes reader = server.As(token);
        V1SelfSubjectRulesReview review = await reader.AuthorizationV1.CreateSelfSubjectRulesReviewAsync(new V1SelfSubjectRulesReview { Spec = new V1SelfSubjectRulesReviewSpec { NamespaceProperty = "rules" } });
        Assert.False(review.Status.Incomplete);
        Assert.Contains(review.Status.ResourceRules, r => r.Resources.SequenceEqual(["pods"]) && r.Verbs.SequenceEqual(["get", "list"]) && r.ApiGroups.SequenceEqual([""]));
        Assert.Contains(review.Status.ResourceRules, r => r.Resources.Contains("selfsubjectrulesreviews") && r.Verbs.SequenceEqual(["create"]));
        Assert.Contains(review.Status.NonResourceRules, r => r.NonResourceURLs.Contains("/apis/*") && r.Verbs.SequenceEqual(["get"]));

        // Elsewhere only what is bound cluster-wide.
        review = await reader.AuthorizationV1.CreateSelfSubjectRulesReviewAsync(new V1SelfSubjectRulesReview { Spec = new V1SelfSubjectRulesReviewSpec { NamespaceProperty = "default" } });
        Assert.DoesNotContain(review.Status.ResourceRules, r => r.Resources.Contains("pods"));

        Assert.Equal((HttpStatusCode.BadRequest, "no namespace on request"), await RefusedAsync(() => reader.AuthorizationV1.CreateSelfSubjectRulesReviewAsync(new V1SelfSubjectRulesReview { Spec = new V1SelfSubjectRulesReviewSpec() })));
    }

    [Fact]
    public async Task A_subject_access_review_asks_about_the_user_and_groups_it_names()
    {
        await server.EnsureNamespaceAsync("reviewed");
        await server.GrantAsync("alice-configmaps", User("alice"), "reviewed", Rule("", "configmaps", "get"));
        V1SubjectAccessReview Review(string? user, params string[] groups) => new()
        {
            Spec = new V1SubjectAccessReviewSpec { User = user, Groups = groups, ResourceAttributes = new V1ResourceAttributes { Verb = "get", Resource = "configmaps", NamespaceProperty = "reviewed" } },
        };

        Assert.True((await server.Admin.AuthorizationV1.CreateSubjectAccessReviewAsync(Review("alice"))).Status.Allowed);
        Assert.False((await server.Admin.AuthorizationV1.CreateSubjectAccessReviewAsync(Review("bob"))).Status.Allowed);
        Assert.True((await server.Admin.AuthorizationV1.CreateSubjectAccessReviewAsync(Review(null, "system:masters"))).Status.Allowed);
        Assert.Equal(
            (HttpStatusCode.UnprocessableEntity, "SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified"),
            await RefusedAsync(() => server.Admin.AuthorizationV1.CreateSubjectAccessReviewAsync(Review(null))));

        // Asking about others is a privilege: a plain service account may not.
        string token = await server.ServiceAccountTokenAsync("reviewed", "nosy");
        using Kubernetes nosy = server.As(token);
        Assert.Equal(HttpStatusCode.Forbidden, (await RefusedAsync(() => nosy.AuthorizationV1.CreateSubjectAccessReviewAsync(Review("alice")))).Code);
    }

    [Fact]
    public async Task A_local_subject_access_review_stays_in_the_namespace_of_its_URL()
    {
        await server.EnsureNamespaceAsync("local");
        V1LocalSubjectAccessReview Review(string? metaNs, string attributesNs) => new()
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = metaNs },
            Spec = new V1SubjectAccessReviewSpec { User = "alice", ResourceAttributes = new V1ResourceAttributes { Verb = "get", Resource = "pods", NamespaceProperty = attributesNs } },
        };

        V1LocalSubjectAccessReview answered = await server.Admin.AuthorizationV1.CreateNamespacedLocalSubjectAccessReviewAsync(Review("local", "local"), "local");
        Assert.False(answered.Status.Allowed);
        Assert.Equal(
            (HttpStatusCode.UnprocessableEntity, "LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"other\": must match metadata.namespace"),
            await RefusedAsync(() => server.Admin.AuthorizationV1.CreateNamespacedLocalSubjectAccessReviewAsync(Review("local", "other"), "local")));
        Assert.Equal(
            (HttpStatusCode.BadRequest, "spec.resourceAttributes.namespace must match namespace: local"),
            await RefusedAsync(() => server.Admin.AuthorizationV1.CreateNamespacedLocalSubjectAccessReviewAsync(Review("other", "other"), "local")));
    }

    [Fact]
    public async Task A_token_review_authenticates_tokens_for_the_audiences_asked()
    {
        string token = await server.ServiceAccountTokenAsync("tokens", "bot");
        V1TokenReview Review(string value, params string[] audiences) => new() { Spec = new V1TokenReviewSpec { Token = value, Audiences = audiences.Length == 0 ? null : audiences } };

        V1TokenReview review = await server.Admin.AuthenticationV1.CreateTokenReviewAsync(Review(token));
        Assert.True(review.Status.Authenticated);
        Assert.Equal("system:serviceaccount:tokens:bot", review.Status.User.Username);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:tokens", "system:authenticated"], review.Status.User.Groups);
        Assert.Equal(["https://kubernetes.default.svc.cluster.local"], review.Status.Audiences);
        Assert.False((await server.Admin.AuthenticationV1.CreateTokenReviewAsync(Review(token, "https://vault.example"))).Status.Authenticated);
        Assert.False((await server.Admin.AuthenticationV1.CreateTokenReviewAsync(Review(token[..^4] + "AAAA"))).Status.Authenticated);

        string vault = (await server.Admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = ["https://vault.example"] } }, "bot", "tokens")).Status.Token;
        review = await server.Admin.AuthenticationV1.CreateTokenReviewAsync(Review(vault, "https://vault.example", "other"));
        Assert.Equal((true, "https://vault.example"), (review.Status.Authenticated!.Value, review.Status.Audiences.Single()));

        review = await server.Admin.AuthenticationV1.CreateTokenReviewAsync(Review(UToken));
        Assert.Equal(("u", "u-uid"), (review.Status.User.Username, review.Status.User.Uid));
        Assert.Equal((HttpStatusCode.BadRequest, "token is required for TokenReview in authentication"), await RefusedAsync(() => server.Admin.AuthenticationV1.CreateTokenReviewAsync(Review(""))));
    }

    [Fact]
    public async Task Reviews_are_advertised_create_only_and_refuse_other_verbs()
    {
        (HttpStatusCode code, string body) = await server.SendAsync(null, HttpMethod.Get, "/apis/authorization.k8s.io/v1");
        Assert.Equal(HttpStatusCode.OK, code);
        Dictionary<string, string[]> verbs = JsonDocument.Parse(body).RootElement.GetProperty("resources").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()!).ToArray());
        Assert.Equal(["create"], verbs["selfsubjectrulesreviews"]);
        Assert.Equal(["create"], verbs["localsubjectaccessreviews"]);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await server.SendAsync(null, HttpMethod.Get, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")).Code);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await server.SendAsync(null, HttpMethod.Delete, "/apis/authentication.k8s.io/v1/tokenreviews")).Code);
    }
}
