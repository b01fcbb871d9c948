using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Navarch.E2E.Tests;

/// <summary>
/// The Node authorizer and NodeRestriction on the network-namespace cluster (server with <c>--authorization-mode
/// Node,RBAC</c>, two joined agents): pods with ConfigMap and Secret volumes and env run on both nodes, their logs and
/// exec work, a ConfigMap update reaches its file through the kubelet's per-object watch — and node 0's own
/// credentials, read from its data dir, get its pod's Secret but not node 1's, nor any list of Secrets, nor node 1's
/// Node or pods.
/// </summary>
[Trait("Category", "MultiNode")]
public sealed class NodeAuthorizationTests(NetnsCluster cluster) : IClassFixture<NetnsCluster>
{
    private string App(int node) => $"authz-app-{node}";

    private string Objects(int node) => $$"""
        apiVersion: v1
        kind: Secret
        metadata: {name: authz-secret-{{node}}}
        stringData: {token: secret-of-{{node}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: authz-config-{{node}}}
        data: {greeting: hello-{{node}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: {{App(node)}}}
        spec:
          terminationGracePeriodSeconds: 1
          nodeName: {{cluster.Nodes[node]}}
          containers:
          - name: app
            image: busybox:1.35
            command: ["sh", "-c", "echo started with $TOKEN; sleep 3600"]
            env:
            - name: TOKEN
              valueFrom:
                secretKeyRef: {key: token, name: authz-secret-{{node}}}
            envFrom:
            - configMapRef: {name: authz-config-{{node}}}
            volumeMounts:
            - {name: config, mountPath: /config}
            - {name: secret, mountPath: /secret}
          volumes:
          - name: config
            configMap: {name: authz-config-{{node}}}
          - name: secret
            secret: {secretName: authz-secret-{{node}}}
        """;

    private Task<string> Ok(params string[] args) => cluster.OkAsync(args);

    /// <summary>kubectl with node <paramref name="node"/>'s kubelet credentials, as its agent wrote them.</summary>
    private Task<Kubectl.Result> AsNodeAsync(int node, params string[] args) =>
        Kubectl.RunAsync(Path.Combine(cluster.AgentDir(node), "kubelet.kubeconfig"), args);

    /// <summary>
    /// An HTTP client with node <paramref name="node"/>'s kubelet client certificate, trusting the CA its agent fetched,
    /// addressed at the server its kubeconfig names.
    /// </summary>
    private HttpClient NodeHttp(int node)
    {
        string dir = cluster.AgentDir(node);
        X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, "server-ca.crt")));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(Path.Combine(dir, "client-kubelet.crt"), Path.Combine(dir, "client-kubelet.key")));
        string server = File.ReadLines(Path.Combine(dir, "kubelet.kubeconfig")).Select(l => l.Trim()).First(l => l.StartsWith("server: ", StringComparison.Ordinal))["server: ".Length..];
        return new HttpClient(handler) { BaseAddress = new Uri(server) };
    }

    private static async Task<(HttpStatusCode Code, string Message)> SendAsync(HttpClient http, HttpMethod method, string path, string? mergePatch)
    {
        using var request = new HttpRequestMessage(method, path);
        if (mergePatch is not null)
        {
            request.Content = new StringContent(mergePatch, Encoding.UTF8, "application/merge-patch+json");
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, System.Text.Json.JsonDocument.Parse(body).RootElement.TryGetProperty("message", out var message) ? message.GetString()! : body);
    }

    private static void Refused(Kubectl.Result result, string message)
    {
        Assert.True(result.ExitCode != 0, $"expected a refusal, got: {result.Output}");
        Assert.True(result.Output.Contains(message, StringComparison.Ordinal), $"expected \"{message}\" in: {result.Output}");
    }

    [Fact]
    public async Task Pods_with_configmaps_and_secrets_run_on_both_nodes_and_a_node_reaches_only_its_own()
    {
        for (int node = 0; node < 2; node++)
        {
            await cluster.ApplyAsync(Objects(node));
        }

        for (int node = 0; node < 2; node++)
        {
            await cluster.PollAsync($"{App(node)} running", s => s == "Running", TimeSpan.FromSeconds(120), "get", "pod", App(node), "-o", "jsonpath={.status.phase}");
            Assert.Equal($"secret-of-{node}", (await Ok("exec", App(node), "--", "cat", "/secret/token")).Trim());
            Assert.Equal($"hello-{node}", (await Ok("exec", App(node), "--", "cat", "/config/greeting")).Trim());
            Assert.Equal($"hello-{node} secret-of-{node}", (await Ok("exec", App(node), "--", "sh", "-c", "echo $greeting $TOKEN")).Trim());
            Assert.Contains($"started with secret-of-{node}", await Ok("logs", App(node)), StringComparison.Ordinal);
        }

        // An update reaches the running pod's file through the kubelet's watch of that one ConfigMap.
        await Ok("patch", "configmap", "authz-config-1", "--type=merge", "-p", """{"data":{"greeting":"changed"}}""");
        await cluster.PollAsync("the ConfigMap update in the file", s => s == "changed", TimeSpan.FromSeconds(60), "exec", App(1), "--", "cat", "/config/greeting");

        // Node 0's own credentials: its pod's Secret, not node 1's, no lists, and nothing of node 1's to change.
        string user = $"system:node:{cluster.Nodes[0]}";
        Kubectl.Result own = await AsNodeAsync(0, "get", "secret", "authz-secret-0", "-o", "jsonpath={.data.token}");
        Assert.True(own.ExitCode == 0, own.Output);
        Refused(
            await AsNodeAsync(0, "get", "secret", "authz-secret-1"),
            $"secrets \"authz-secret-1\" is forbidden: User \"{user}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\": no relationship found between node '{cluster.Nodes[0]}' and this object");
        Refused(await AsNodeAsync(0, "get", "configmap", "authz-config-1"), "no relationship found");
        Refused(await AsNodeAsync(0, "get", "secrets", "-A"), $"User \"{user}\" cannot list resource \"secrets\"");
        Refused(await AsNodeAsync(0, "get", "pod", App(1)), "no relationship found");
        Refused(await AsNodeAsync(0, "get", "node", cluster.Nodes[1]), $"node '{cluster.Nodes[0]}' cannot read '{cluster.Nodes[1]}', only its own Node object");
        Refused(await AsNodeAsync(0, "label", "node", cluster.Nodes[1], "stolen=yes"), "only its own Node object");

        // Writes kubectl would not get to send (it reads first), sent as the node's agent would: NodeRestriction refuses them.
        using HttpClient node0 = NodeHttp(0);
        (HttpStatusCode code, string body) = await SendAsync(node0, HttpMethod.Patch, $"/api/v1/nodes/{cluster.Nodes[1]}", """{"metadata":{"labels":{"stolen":"yes"}}}""");
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Contains($"node \"{cluster.Nodes[0]}\" is not allowed to modify node \"{cluster.Nodes[1]}\"", body, StringComparison.Ordinal);
        (code, body) = await SendAsync(node0, HttpMethod.Patch, $"/api/v1/namespaces/default/pods/{App(1)}/status", """{"status":{"message":"mine"}}""");
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Contains($"node \"{cluster.Nodes[0]}\" can only update pod status for pods with spec.nodeName set to itself", body, StringComparison.Ordinal);
        (code, body) = await SendAsync(node0, HttpMethod.Delete, $"/api/v1/namespaces/default/pods/{App(1)}", null);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Contains($"node \"{cluster.Nodes[0]}\" can only delete pods with spec.nodeName set to itself", body, StringComparison.Ordinal);
        Assert.Equal("Running", (await Ok("get", "pod", App(1), "-o", "jsonpath={.status.phase}")).Trim());

        foreach (string pod in new[] { App(0), App(1) })
        {
            await Ok("delete", "pod", pod, "--wait=false");
        }
    }
}
