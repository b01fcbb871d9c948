namespace Navarch.E2E.Tests;

/// <summary>A one-node cluster whose server enforces RBAC (<c>--authorization-mode Node,RBAC</c>).</summary>
public sealed class RbacNavarchNode : NavarchNode
{
    public RbacNavarchNode()
        : base(["--authorization-mode", "Node,RBAC"])
    {
    }
}

/// <summary>
/// With RBAC, every pod gets its service account's token the Kubernetes way — the kube-api-access volume with a
/// pod-bound token, the cluster CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount — and the token
/// is worth exactly what the account is bound to.
/// </summary>
[Trait("Category", "Node")]
public sealed class ServiceAccountTokenMountTests(RbacNavarchNode node) : IClassFixture<RbacNavarchNode>
{
    [Fact]
    public async Task A_pod_reads_its_mounted_token_and_the_token_has_only_its_accounts_rights()
    {
        await node.OkAsync("create", "namespace", "tokens");
        Kubectl.Result account = await node.KubectlAsync("-n", "tokens", "wait", "--for=create", "serviceaccount/default", "--timeout=30s");
        Assert.True(account.ExitCode == 0, account.Output);
        await node.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: reader, namespace: tokens}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sleep", "3600"]
            """);
        await node.OkAsync("-n", "tokens", "wait", "--for=condition=Ready", "pod/reader", "--timeout=90s");
        const string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
        Assert.Matches("^kube-api-access-[a-z0-9]{5}$", await node.OkAsync("-n", "tokens", "get", "pod", "reader", "-o", "jsonpath={.spec.volumes[0].name}"));
        Assert.Equal("tokens", await node.OkAsync("-n", "tokens", "exec", "reader", "--", "cat", dir + "/namespace"));
        string ca = await node.OkAsync("-n", "tokens", "exec", "reader", "--", "cat", dir + "/ca.crt");
        string kubeconfigCa = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(await node.OkAsync("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")));
        Assert.Equal(kubeconfigCa.Trim(), ca.Trim());
        string token = await node.OkAsync("-n", "tokens", "exec", "reader", "--", "cat", dir + "/token");

        string caFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(caFile, ca);
            string server = await node.OkAsync("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}");
            string[] alone = ["--kubeconfig=/dev/null", $"--server={server}", $"--certificate-authority={caFile}", $"--token={token}"];
            Kubectl.Result whoami = await Kubectl.RunAsync("/dev/null", [.. alone, "auth", "whoami"]);
            Assert.True(whoami.ExitCode == 0, whoami.Output);
            Assert.Matches(@"Username\s+system:serviceaccount:tokens:default", whoami.Stdout);

            Kubectl.Result refused = await Kubectl.RunAsync("/dev/null", [.. alone, "-n", "tokens", "get", "pods"]);
            Assert.Contains("pods is forbidden: User \"system:serviceaccount:tokens:default\" cannot list resource \"pods\"", refused.Stderr, StringComparison.Ordinal);
            await node.OkAsync("-n", "tokens", "create", "rolebinding", "read", "--clusterrole=view", "--serviceaccount=tokens:default");
            Kubectl.Result allowed = await Kubectl.RunAsync("/dev/null", [.. alone, "-n", "tokens", "get", "pods"]);
            Assert.True(allowed.ExitCode == 0, allowed.Output);
            Assert.Contains("reader", allowed.Stdout, StringComparison.Ordinal);
            Assert.Equal("no", (await Kubectl.RunAsync("/dev/null", [.. alone, "-n", "tokens", "auth", "can-i", "delete", "pods"])).Stdout.Trim());
        }
        finally
        {
            File.Delete(caFile);
        }

        await node.OkAsync("delete", "namespace", "tokens", "--wait=false");
    }
}
