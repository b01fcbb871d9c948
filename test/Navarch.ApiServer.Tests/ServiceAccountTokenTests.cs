using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// The TokenRequest API (<c>serviceaccounts/token</c>) and service account bearer tokens: issued, accepted while their
/// account (and bound pod) exist with the same uid, refused for another audience, a changed signature or a deleted owner;
/// and the self reviews (who am I, may I).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ServiceAccountTokenTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly Kubernetes _client = fixture.Client;

    private async Task<HttpStatusCode> ListPodsWithAsync(string token)
    {
        using HttpClient http = fixture.NewHttp(withClientCertificate: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await http.GetAsync("/api/v1/namespaces/default/pods");
        return response.StatusCode;
    }

    private Task<Authenticationv1TokenRequest> RequestAsync(string account, V1TokenRequestSpec spec) =>
        _client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = spec }, account, "default");

    private static JsonElement Payload(string token)
    {
        string part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
        return JsonDocument.Parse(Convert.FromBase64String(part)).RootElement.Clone();
    }

    [Fact]
    public async Task A_requested_token_authenticates_as_its_service_account_until_the_account_is_gone()
    {
        V1ServiceAccount account = await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "default");
        DateTime before = DateTime.UtcNow.AddSeconds(-2);

        Authenticationv1TokenRequest issued = await RequestAsync("robot", new V1TokenRequestSpec { ExpirationSeconds = 600 });

        Assert.Equal(["https://kubernetes.default.svc.cluster.local"], issued.Spec.Audiences);
        Assert.InRange(issued.Status.ExpirationTimestamp!.Value, before.AddSeconds(600), DateTime.UtcNow.AddSeconds(601));
        JsonElement claims = Payload(issued.Status.Token);
        Assert.Equal("system:serviceaccount:default:robot", claims.GetProperty("sub").GetString());
        Assert.Equal("https://kubernetes.default.svc.cluster.local", claims.GetProperty("iss").GetString());
        Assert.Equal(600, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        Assert.Equal(account.Metadata.Uid, claims.GetProperty("kubernetes.io").GetProperty("serviceaccount").GetProperty("uid").GetString());
        Assert.Equal(HttpStatusCode.OK, await ListPodsWithAsync(issued.Status.Token));

        // Another audience is not the API server's; a changed signature is not ours.
        Authenticationv1TokenRequest vault = await RequestAsync("robot", new V1TokenRequestSpec { Audiences = ["vault"] });
        Assert.Equal(["vault"], Payload(vault.Status.Token).GetProperty("aud").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPodsWithAsync(vault.Status.Token));
        string token = issued.Status.Token;
        string tampered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPodsWithAsync(tampered));

        // A new account of the same name is not the one the token was issued for.
        await _client.CoreV1.DeleteNamespacedServiceAccountAsync("robot", "default");
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPodsWithAsync(token));
        await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "default");
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPodsWithAsync(token));
        await _client.CoreV1.DeleteNamespacedServiceAccountAsync("robot", "default");
    }

    [Fact]
    public async Task A_pod_bound_token_dies_with_its_pod()
    {
        await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "bound" } }, "default");
        V1Pod pod = await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "token-holder" },
            Spec = new V1PodSpec { ServiceAccountName = "bound", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        }, "default");

        Authenticationv1TokenRequest issued = await RequestAsync("bound", new V1TokenRequestSpec
        {
            BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = "token-holder", Uid = pod.Metadata.Uid },
        });
        Assert.Equal(3600, Payload(issued.Status.Token).GetProperty("exp").GetInt64() - Payload(issued.Status.Token).GetProperty("iat").GetInt64());
        Assert.Equal(pod.Metadata.Uid, Payload(issued.Status.Token).GetProperty("kubernetes.io").GetProperty("pod").GetProperty("uid").GetString());
        Assert.Equal(HttpStatusCode.OK, await ListPodsWithAsync(issued.Status.Token));

        var wrongUid = await Assert.ThrowsAsync<HttpOperationException>(() => RequestAsync("bound", new V1TokenRequestSpec
        {
            BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = "token-holder", Uid = "not-the-uid" },
        }));
        Assert.Equal(HttpStatusCode.Conflict, wrongUid.Response.StatusCode);

        await _client.CoreV1.DeleteNamespacedPodAsync("token-holder", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPodsWithAsync(issued.Status.Token));
        await _client.CoreV1.DeleteNamespacedServiceAccountAsync("bound", "default");
    }

    [Fact]
    public async Task Bad_token_requests_get_kubernetes_errors()
    {
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => RequestAsync("nobody", new V1TokenRequestSpec()));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);

        await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "short" } }, "default");
        var tooShort = await Assert.ThrowsAsync<HttpOperationException>(() => RequestAsync("short", new V1TokenRequestSpec { ExpirationSeconds = 60 }));
        Assert.Equal((HttpStatusCode)422, tooShort.Response.StatusCode);
        Assert.Contains("spec.expirationSeconds", tooShort.Response.Content, StringComparison.Ordinal);
        Assert.Contains("may not specify a duration less than 10 minutes", tooShort.Response.Content, StringComparison.Ordinal);

        var unbound = await Assert.ThrowsAsync<HttpOperationException>(() => RequestAsync("short", new V1TokenRequestSpec { BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = "no-such-pod" } }));
        Assert.Equal(HttpStatusCode.NotFound, unbound.Response.StatusCode);

        using var wrongKind = new StringContent("""{"apiVersion":"v1","kind":"Pod"}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage refused = await fixture.Http.PostAsync("/api/v1/namespaces/default/serviceaccounts/short/token", wrongKind);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        await _client.CoreV1.DeleteNamespacedServiceAccountAsync("short", "default");
    }

    [Fact]
    public async Task Self_reviews_name_the_caller_and_ask_the_authorizer()
    {
        V1SelfSubjectReview me = await _client.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("system:admin", me.Status.UserInfo.Username);
        Assert.Contains("system:masters", me.Status.UserInfo.Groups);

        V1SelfSubjectAccessReview allowed = await _client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = "delete", Resource = "nodes" } },
        });
        Assert.True(allowed.Status.Allowed);
        Assert.Equal("nodes", allowed.Spec.ResourceAttributes.Resource);

        var neither = await Assert.ThrowsAsync<HttpOperationException>(() => _client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview { Spec = new V1SelfSubjectAccessReviewSpec() }));
        Assert.Equal((HttpStatusCode)422, neither.Response.StatusCode);
        Assert.Contains("exactly one of nonResourceAttributes or resourceAttributes must be specified", neither.Response.Content, StringComparison.Ordinal);

        using HttpClient anonymous = fixture.NewHttp(withClientCertificate: false);
        using var body = new StringContent("{}", Encoding.UTF8, "application/json");
        using HttpResponseMessage refused = await anonymous.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", body);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
