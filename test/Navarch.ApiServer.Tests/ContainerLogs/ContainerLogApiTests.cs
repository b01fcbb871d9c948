using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api.Logging;
using Navarch.Client;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.ContainerLogs;

/// <summary>
/// logging.navarch.io over HTTP on a real server with Node and RBAC authorization: nodes ship batches as themselves,
/// readers list (and follow) with pods/log's options; bad input is a Kubernetes Status, never a 500.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ContainerLogApiTests : IAsyncLifetime
{
    private const string Lines = "/apis/logging.navarch.io/v1/namespaces/default/containerlogs";
    private const string Batches = "/apis/logging.navarch.io/v1/containerlogbatches";
    private const string ContainerLogRestMediaType = "application/x-ndjson";
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Kubernetes ClientAs(string user, string? group)
    {
        using var config = new MemoryStream(Encoding.UTF8.GetBytes(_host.Server.ClientKubeconfig(user, group)));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(config));
    }

    private static async Task<(HttpStatusCode Code, string Body)> SendAsync(Kubernetes client, HttpMethod method, string path, string? json = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using HttpResponseMessage response = await new RawApi(client).SendAsync(request, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Json(V1ContainerLogBatch batch) => JsonSerializer.Serialize(batch);

    private static JsonNode Status(string body, int code, string reason)
    {
        JsonNode status = JsonNode.Parse(body)!;
        Assert.Equal(("Status", code, reason), ((string?)status["kind"], (int?)status["code"], (string?)status["reason"]));
        return status;
    }

    private async Task<List<V1ContainerLog>> ListAsync(string query)
    {
        (HttpStatusCode code, string body) = await SendAsync(_host.Client, HttpMethod.Get, Lines + query);
        Assert.True(code == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize<V1ContainerLogList>(body)!.Items.ToList();
    }

    [Fact]
    public async Task A_node_ships_as_itself_and_readers_list_follow_and_filter()
    {
        using Kubernetes node = ClientAs("system:node:n1", "system:nodes");
        (HttpStatusCode code, string body) = await SendAsync(node, HttpMethod.Post, Batches, Json(ContainerLogStoreTests.Batch("web", "app", 0, 4, "web")));
        Assert.True(code == HttpStatusCode.Created, body);
        Assert.Equal("stored 4 lines (0 already stored)", (string?)JsonNode.Parse(body)!["message"]);
        (code, body) = await SendAsync(node, HttpMethod.Post, Batches, Json(ContainerLogStoreTests.Batch("web", "app", 0, 4, "web")));
        Assert.Equal("stored 0 lines (4 already stored)", (string?)JsonNode.Parse(body)!["message"]);

        // Shipping as another node is refused; the server names the node from the credentials.
        var other = ContainerLogStoreTests.Batch("db", "db", 0, 1);
        other.Node = "n2";
        (code, body) = await SendAsync(node, HttpMethod.Post, Batches, Json(other));
        Assert.Contains("node \"n1\" may not ship the logs of node \"n2\"", (string?)Status(body, 403, "Forbidden")["message"], StringComparison.Ordinal);

        List<V1ContainerLog> all = await ListAsync("");
        Assert.Equal(4, all.Count);
        V1ContainerLog first = all[0];
        Assert.Equal(("web", "default", "web", "uid-web", "app", "n1", "stdout", "2026-12-07T10:00:00.123456789Z"), (first.Metadata.Name, first.Metadata.NamespaceProperty, first.Metadata.Labels["app"], first.PodUid, first.Container, first.Node, first.Stream, first.Time));
        Assert.StartsWith("web line 0 ", first.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await ListAsync("?tailLines=2")).Count);
        Assert.Equal(4, (await ListAsync("?labelSelector=app%3Dweb&fieldSelector=container%3Dapp,node%3Dn1")).Count);
        Assert.Empty(await ListAsync("?labelSelector=app%3Ddb"));
        Assert.Empty(await ListAsync("?sinceSeconds=60"));
        Assert.Empty(await ListAsync("?fieldSelector=metadata.namespace%3Dother"));
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/apis/logging.navarch.io/v1/containerlogs?tailLines=1", accept: ContainerLogRestMediaType);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("web line 3 ", JsonSerializer.Deserialize<V1ContainerLog>(Assert.Single(body.Split('\n', StringSplitOptions.RemoveEmptyEntries)))!.Message[..11]);

        // Following: the answer goes on with what is shipped after the request began.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Lines + "?follow=true&tailLines=0", UriKind.Relative));
        using HttpResponseMessage following = await new RawApi(_host.Client).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        using var reader = new StreamReader(await following.Content.ReadAsStreamAsync(stop.Token));
        await SendAsync(node, HttpMethod.Post, Batches, Json(ContainerLogStoreTests.Batch("web", "app", 400, 1, "web")));
        string? line = await reader.ReadLineAsync(stop.Token);
        Assert.StartsWith("web line 4 ", JsonSerializer.Deserialize<V1ContainerLog>(line!)!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pod_logs_of_a_pod_that_no_longer_exists_are_answered_from_the_store_instead_of_404()
    {
        using Kubernetes node = ClientAs("system:node:n1", "system:nodes");
        (HttpStatusCode code, string body) = await SendAsync(node, HttpMethod.Post, Batches, Json(ContainerLogStoreTests.Batch("gone", "app", 0, 3, "gone")));
        Assert.True(code == HttpStatusCode.Created, body);
        V1ContainerLogBatch twoContainers = ContainerLogStoreTests.Batch("pair", "a", 0, 1);
        twoContainers.Files.Add(ContainerLogStoreTests.Batch("pair", "b", 0, 1).Files[0]);
        (code, body) = await SendAsync(node, HttpMethod.Post, Batches, Json(twoContainers));
        Assert.True(code == HttpStatusCode.Created, body);

        // No Pod object "gone" exists: kubectl logs reads its stored lines, as text, with the window asked for.
        string[] lines = (await _host.Client.CoreV1.ReadNamespacedPodLogAsync("gone", "default").ContinueWith(t => new StreamReader(t.Result).ReadToEnd(), TaskScheduler.Default)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("gone line 0 ", lines[0], StringComparison.Ordinal);
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/gone/log?tailLines=1&timestamps=true");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.StartsWith("2026-12-07T10:00:00.123456789Z gone line 2 ", body, StringComparison.Ordinal);
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/gone/log?limitBytes=5");
        Assert.Equal((HttpStatusCode.OK, "gone "), (code, body));
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/pair/log?container=b");
        Assert.StartsWith("pair line 0 ", body, StringComparison.Ordinal);

        // As the kubelet's answers: a container must be named when there are several, and must be one of them.
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/pair/log");
        Assert.Equal("a container name must be specified for pod pair, choose one of: [a b]", (string?)Status(body, 400, "BadRequest")["message"]);
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/gone/log?container=nope");
        Assert.Equal("container nope is not valid for pod gone", (string?)Status(body, 400, "BadRequest")["message"]);
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/gone/log?tailLines=-1");
        Assert.Contains("tailLines", (string?)Status(body, 422, "Invalid")["message"], StringComparison.Ordinal);

        // A pod the store never saw is Kubernetes' 404; so is one in another namespace, and reading needs pods/log.
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/default/pods/never/log");
        Assert.Equal("pods \"never\" not found", (string?)Status(body, 404, "NotFound")["message"]);
        (code, body) = await SendAsync(_host.Client, HttpMethod.Get, "/api/v1/namespaces/other/pods/gone/log");
        Status(body, 404, "NotFound");
        using Kubernetes stranger = ClientAs("stranger", null);
        (code, body) = await SendAsync(stranger, HttpMethod.Get, "/api/v1/namespaces/default/pods/gone/log");
        Status(body, 403, "Forbidden");
    }

    [Fact]
    public async Task Readers_need_list_on_containerlogs_in_the_namespace_and_nodes_may_not_read()
    {
        await _host.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await _host.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "bob-view" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "bob", ApiGroup = "rbac.authorization.k8s.io" }],
        }, "team");
        using Kubernetes bob = ClientAs("bob", null);
        using Kubernetes alice = ClientAs("alice", null);
        using Kubernetes node = ClientAs("system:node:n1", "system:nodes");
        await EventuallyPasses(async () => Assert.Equal(HttpStatusCode.OK, (await SendAsync(bob, HttpMethod.Get, "/apis/logging.navarch.io/v1/namespaces/team/containerlogs")).Code), "bob reads team's logs");
        Status((await SendAsync(bob, HttpMethod.Get, Lines)).Body, 403, "Forbidden");
        Status((await SendAsync(bob, HttpMethod.Get, "/apis/logging.navarch.io/v1/containerlogs")).Body, 403, "Forbidden");
        Status((await SendAsync(alice, HttpMethod.Get, "/apis/logging.navarch.io/v1/namespaces/team/containerlogs")).Body, 403, "Forbidden");
        Status((await SendAsync(node, HttpMethod.Get, Lines)).Body, 403, "Forbidden");
        Status((await SendAsync(bob, HttpMethod.Post, Batches, Json(ContainerLogStoreTests.Batch("web", "app", 0, 1)))).Body, 403, "Forbidden");
    }

    public static TheoryData<string, int, string, string> BadQueries => new()
    {
        { "?sinceSeconds=0", 422, "Invalid", "sinceSeconds: Invalid value: 0: must be greater than 0" },
        { "?tailLines=-1", 422, "Invalid", "tailLines: Invalid value: -1: must be greater than or equal to 0" },
        { "?sinceSeconds=5&sinceTime=2026-12-07T10:00:00Z", 422, "Invalid", "at most one of `sinceTime` or `sinceSeconds` may be specified" },
        { "?tailLines=ten", 400, "BadRequest", "invalid tailLines: ten" },
        { "?sinceTime=yesterday", 400, "BadRequest", "invalid sinceTime: yesterday" },
        { "?fieldSelector=spec.nodeName%3Dn1", 400, "BadRequest", "field label not supported: spec.nodeName" },
        { "?labelSelector=app%3D%3D%3D", 400, "BadRequest", "" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_query_is_a_Status(string query, int code, string reason, string message)
    {
        (HttpStatusCode status, string body) = await SendAsync(_host.Client, HttpMethod.Get, Lines + query);
        Assert.Equal(code, (int)status);
        Assert.Contains(message, (string?)Status(body, code, reason)["message"], StringComparison.Ordinal);
    }

    public static TheoryData<string, int, string, string> BadBatches => new()
    {
        { "{\"files\":[{\"path\":\"a\",\"namespace\":\"default\",\"pod\":\"p\",\"container\":\"c\",\"lines\":[{\"offset\":10,\"time\":\"2026-12-07T10:00:00Z\",\"stream\":\"stdin\",\"message\":\"m\"}]}]}", 422, "Invalid", "files[0].lines[0].stream: Unsupported value: \"stdin\"" },
        { "{\"files\":[{\"path\":\"a\",\"namespace\":\"default\",\"pod\":\"p\",\"container\":\"c\",\"lines\":[{\"offset\":10,\"time\":\"now\",\"stream\":\"stdout\",\"message\":\"m\"}]}]}", 422, "Invalid", "files[0].lines[0].time: Invalid value: \"now\": must be an RFC 3339 time" },
        { "{\"files\":[{\"path\":\"a\",\"namespace\":\"default\",\"pod\":\"p\",\"container\":\"c\",\"lines\":[{\"offset\":10,\"time\":\"2026-12-07T10:00:00Z\",\"stream\":\"stdout\"},{\"offset\":10,\"time\":\"2026-12-07T10:00:00Z\",\"stream\":\"stdout\"}]}]}", 422, "Invalid", "files[0].lines[1].offset" },
        { "{\"files\":[{\"namespace\":\"default\",\"pod\":\"p\",\"container\":\"c\",\"lines\":[]}]}", 422, "Invalid", "files[0].path: Required value" },
        { "{\"files\":[", 400, "BadRequest", "" },
        { "{\"files\":\"many\"}", 400, "BadRequest", "" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_is_a_Status(string json, int code, string reason, string message)
    {
        using Kubernetes node = ClientAs("system:node:n1", "system:nodes");
        (HttpStatusCode status, string body) = await SendAsync(node, HttpMethod.Post, Batches, json);
        Assert.True(code == (int)status, body);
        Assert.Contains(message, (string?)Status(body, code, reason)["message"], StringComparison.Ordinal);
    }
}
