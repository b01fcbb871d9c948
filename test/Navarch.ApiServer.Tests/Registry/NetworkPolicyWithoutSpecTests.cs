using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>
/// A NetworkPolicy sent without <c>spec</c> is created as kube-apiserver creates it: NetworkPolicy.Spec and its
/// PodSelector are Go structs, so the policy decodes to an empty spec, SetDefaults_NetworkPolicy makes it an ingress
/// policy, and it selects every pod of its namespace (denying their ingress).
/// </summary>
[Trait("Category", "Integration")]
public sealed class NetworkPolicyWithoutSpecTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_policy_without_spec_is_created_with_kubes_defaults()
    {
        const string Body = """{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"no-spec"}}""";
        using HttpResponseMessage created = await fixture.Http.PostAsync(
            new Uri("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", UriKind.Relative), new StringContent(Body, Encoding.UTF8, "application/json"));
        string text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        Assert.Equal("""{"podSelector":{},"policyTypes":["Ingress"]}""", JsonNode.Parse(text)!["spec"]!.ToJsonString());

        JsonNode read = JsonNode.Parse(await fixture.Http.GetStringAsync(new Uri("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/no-spec", UriKind.Relative)))!;
        Assert.Equal("""{"podSelector":{},"policyTypes":["Ingress"]}""", read["spec"]!.ToJsonString());
        await fixture.Client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync("no-spec", "default");
    }
}
