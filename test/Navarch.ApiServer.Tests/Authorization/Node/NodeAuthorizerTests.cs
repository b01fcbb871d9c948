using k8s.Models;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Authorization.Node;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Authorization.Node;

/// <summary>
/// The Node authorizer's decisions for node "a" (pod p1 with secret s1, configmap c1, claim v1 and account sa1) beside
/// node "b" (pod p2 with secret s2), and a VolumeAttachment to each: null is allowed, anything else is no opinion with that reason.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NodeAuthorizerTests
{
    private static readonly UserInfo NodeA = new("system:node:a", "", ["system:nodes", "system:authenticated"]);

    private static readonly NodeAuthorizer Authorizer = Build();

    public static TheoryData<string, string, string, string?, string?, string?, string?, string?> Cases => new()
    {
        // verb, group, resource, subresource, namespace, name, field selector, reason (null: allowed)
        { "get", "", "secrets", null, "ns", "s1", null, null },
        { "watch", "", "secrets", null, "ns", "s1", "metadata.name=s1", null },
        { "get", "", "secrets", null, "ns", "s2", null, "no relationship found between node 'a' and this object" },
        { "list", "", "secrets", null, "ns", null, null, "No Object name found" },
        { "create", "", "secrets", null, "ns", null, null, "can only read resources of this type" },
        { "get", "", "configmaps", null, "ns", "c1", null, null },
        { "get", "", "configmaps", null, "ns", "nope", null, "no relationship found between node 'a' and this object" },
        { "get", "", "persistentvolumeclaims", null, "ns", "v1", null, null },
        { "list", "", "persistentvolumeclaims", null, "ns", null, null, "can only get individual resources of this type" },
        { "create", "", "serviceaccounts", "token", "ns", "sa1", null, null },
        { "create", "", "serviceaccounts", "token", "ns", "other", null, "no relationship found between node 'a' and this object" },
        { "get", "", "serviceaccounts", null, "ns", "sa1", null, "can only create tokens for individual service accounts" },
        { "update", "coordination.k8s.io", "leases", null, "kube-node-lease", "a", null, null },
        { "create", "coordination.k8s.io", "leases", null, "kube-node-lease", null, null, null },
        { "update", "coordination.k8s.io", "leases", null, "kube-node-lease", "b", null, "can only access node lease with the same name as the requesting node" },
        { "get", "coordination.k8s.io", "leases", null, "default", "a", null, "can only access leases in the \"kube-node-lease\" system namespace" },
        { "get", "", "nodes", null, null, "a", null, null },
        { "watch", "", "nodes", null, null, "a", "metadata.name=a", null },
        { "get", "", "nodes", null, null, "b", null, "node 'a' cannot read 'b', only its own Node object" },
        { "list", "", "nodes", null, null, null, null, "node 'a' cannot read all nodes, only its own Node object" },
        { "patch", "", "nodes", "status", null, "a", null, null },
        { "delete", "", "nodes", null, null, "a", null, "" },
        { "list", "", "pods", null, null, null, "spec.nodeName=a", null },
        { "watch", "", "pods", null, null, null, "spec.nodeName=b", "can only list/watch pods with spec.nodeName field selector" },
        { "list", "", "pods", null, null, null, null, "can only list/watch pods with spec.nodeName field selector" },
        { "get", "", "pods", null, "ns", "p1", null, null },
        { "get", "", "pods", null, "ns", "p2", null, "no relationship found between node 'a' and this object" },
        { "patch", "", "pods", "status", "ns", "p2", null, null },
        { "create", "", "pods", "eviction", "ns", "p1", null, null },
        { "get", "", "pods", "log", "ns", "p1", null, "" },
        { "list", "", "services", null, null, null, null, null },
        { "create", "", "events", null, "ns", null, null, null },
        { "list", "discovery.k8s.io", "endpointslices", null, null, null, null, "" },
        { "get", "", "namespaces", null, null, "ns", null, "" },
        { "get", "storage.k8s.io", "volumeattachments", null, null, "va-a", null, null },
        { "get", "storage.k8s.io", "volumeattachments", null, null, "va-b", null, "no relationship found between node 'a' and this object" },
        { "list", "storage.k8s.io", "volumeattachments", null, null, null, null, "can only get individual resources of this type" },
    };

    private static NodeAuthorizer Build()
    {
        var graph = new Graph();
        graph.AddPod(Pod("p1", "a", "s1", "c1", "v1", "sa1"));
        graph.AddPod(Pod("p2", "b", "s2", null, null, "default"));
        graph.AddVolumeAttachment("va-a", "a");
        graph.AddVolumeAttachment("va-b", "b");
        return new NodeAuthorizer(graph);
    }

    private static V1Pod Pod(string name, string node, string secret, string? configMap, string? claim, string account) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns" },
        Spec = new V1PodSpec
        {
            NodeName = node,
            ServiceAccountName = account,
            Containers = [new V1Container { Name = "c", EnvFrom = [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = secret } }, new V1EnvFromSource { ConfigMapRef = configMap is null ? null : new V1ConfigMapEnvSource { Name = configMap } }] }],
            Volumes = claim is null ? null : [new V1Volume { Name = "v", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }],
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_node_gets_what_its_pods_need_and_no_more(string verb, string group, string resource, string? subresource, string? ns, string? name, string? fields, string? reason)
    {
        var request = new RequestAttributes(NodeA, verb, group, resource, subresource, ns, name, Fields: FieldSelector.Parse(fields));
        Assert.Equal(reason, Authorizer.Authorize(request));
    }

    [Theory]
    [InlineData("system:node:a", new[] { "system:authenticated" }, "")]
    [InlineData("system:serviceaccount:ns:default", new[] { "system:nodes" }, "")]
    [InlineData("system:node:", new[] { "system:nodes" }, "unknown node for user \"system:node:\"")]
    public void Only_members_of_system_nodes_named_system_node_are_judged(string user, string[] groups, string reason)
    {
        var request = new RequestAttributes(new UserInfo(user, "", groups), "get", "", "secrets", null, "ns", "s1");
        Assert.Equal(reason, Authorizer.Authorize(request));
    }

    [Fact]
    public async Task A_union_allows_when_one_member_does_and_joins_the_reasons_otherwise()
    {
        var union = new UnionAuthorizer([Authorizer, new AllowAuthenticated()]);
        var secret = new RequestAttributes(NodeA, "get", "", "secrets", null, "ns", "s2");
        Assert.Null(await union.AuthorizeAsync(secret, CancellationToken.None));

        var refusing = new UnionAuthorizer([Authorizer, Authorizer]);
        string joined = "no relationship found between node 'a' and this object\nno relationship found between node 'a' and this object";
        Assert.Equal(joined, await refusing.AuthorizeAsync(secret, CancellationToken.None));
    }
}
