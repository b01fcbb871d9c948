namespace Navarch.E2E.Tests;

/// <summary>
/// RBAC with the real kubectl against <c>navarch server</c>: <c>auth can-i --list</c> prints what a service account
/// holds, <c>--as</c> and <c>--as-group</c> impersonate (and need the impersonate verb), and the issue's escalations —
/// a service account that may only create ClusterRoleBindings, a namespace admin — are refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RbacKubectlTests(NavarchServer server) : IClassFixture<NavarchServer>, IDisposable
{
    private readonly string _ca = Path.GetTempFileName();
    private string[]? _alone;

    public void Dispose() => File.Delete(_ca);

    private async Task<string> Ok(params string[] args)
    {
        Kubectl.Result r = await server.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    /// <summary>kubectl with <paramref name="token"/> as its only credential (the server and CA from the admin kubeconfig).</summary>
    private Task<Kubectl.Result> AsTokenAsync(string token, params string[] args) => AsTokenWithInputAsync(token, null, args);

    private async Task<Kubectl.Result> AsTokenWithInputAsync(string token, string? input, params string[] args)
    {
        if (_alone is null)
        {
            string address = await Ok("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}");
            await File.WriteAllBytesAsync(_ca, Convert.FromBase64String(await Ok("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")));
            _alone = ["--kubeconfig=/dev/null", $"--server={address}", $"--certificate-authority={_ca}"];
        }

        return await Kubectl.RunAsync("/dev/null", [.. _alone, $"--token={token}", .. args], input);
    }

    private async Task<string> ServiceAccountAsync(string ns, string name)
    {
        if ((await server.KubectlAsync("get", "namespace", ns)).ExitCode != 0)
        {
            await Ok("create", "namespace", ns);
        }

        await Ok("-n", ns, "create", "serviceaccount", name);
        return (await Ok("-n", ns, "create", "token", name, "--duration=15m")).Trim();
    }

    [Fact]
    public async Task Auth_can_i_list_prints_the_rules_a_service_account_holds()
    {
        string token = await ServiceAccountAsync("canlist", "reader");
        await Ok("-n", "canlist", "create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods");
        await Ok("-n", "canlist", "create", "rolebinding", "reader", "--role=pod-reader", "--serviceaccount=canlist:reader");

        Kubectl.Result list = await AsTokenAsync(token, "-n", "canlist", "auth", "can-i", "--list");
        Assert.True(list.ExitCode == 0, list.Output);
        Assert.Matches(@"^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs", list.Stdout);
        Assert.Matches(@"(?m)^pods\s+\[\]\s+\[\]\s+\[get list watch\]\s*$", list.Stdout);
        Assert.Matches(@"(?m)^selfsubjectrulesreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]\s*$", list.Stdout);
        Assert.Matches(@"(?m)^\s+\[/api/\*\]\s+\[\]\s+\[get\]\s*$", list.Stdout);
        Assert.DoesNotMatch(@"(?m)^secrets", list.Stdout);

        Kubectl.Result admin = await server.KubectlAsync("auth", "can-i", "--list");
        Assert.Matches(@"(?m)^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]\s*$", admin.Stdout);
        Assert.Equal("yes", (await AsTokenAsync(token, "-n", "canlist", "auth", "can-i", "watch", "pods")).Stdout.Trim());
        Assert.Equal("no", (await AsTokenAsync(token, "-n", "canlist", "auth", "can-i", "get", "secrets")).Stdout.Trim());
    }

    [Fact]
    public async Task As_and_as_group_impersonate_for_whoever_may()
    {
        Kubectl.Result whoami = await server.KubectlAsync("auth", "whoami", "--as=alice", "--as-group=devs", "--as-group=ops");
        Assert.True(whoami.ExitCode == 0, whoami.Output);
        Assert.Matches(@"Username\s+alice", whoami.Stdout);
        Assert.Matches(@"Groups\s+\[devs ops system:authenticated\]", whoami.Stdout);

        Kubectl.Result refused = await server.KubectlAsync("get", "pods", "--as=alice");
        Assert.Contains("Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal("no", (await server.KubectlAsync("auth", "can-i", "create", "deployments", "--as=system:serviceaccount:imp:nobody")).Stdout.Trim());
        Assert.Equal("yes", (await server.KubectlAsync("auth", "can-i", "create", "deployments", "--as=alice", "--as-group=system:masters")).Stdout.Trim());

        string token = await ServiceAccountAsync("imp", "actor");
        // (kubectl auth whoami prints its own words for a 403, so the server's message is seen through get.)
        Kubectl.Result denied = await AsTokenAsync(token, "get", "pods", "--as=alice");
        Assert.Contains("users \"alice\" is forbidden: User \"system:serviceaccount:imp:actor\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", denied.Stderr, StringComparison.Ordinal);
        await Ok("create", "clusterrole", "impersonate-alice", "--verb=impersonate", "--resource=users", "--resource-name=alice");
        await Ok("create", "clusterrolebinding", "actor-impersonates-alice", "--clusterrole=impersonate-alice", "--serviceaccount=imp:actor");
        Kubectl.Result allowed = await AsTokenAsync(token, "auth", "whoami", "--as=alice");
        Assert.True(allowed.ExitCode == 0, allowed.Output);
        Assert.Matches(@"Username\s+alice", allowed.Stdout);
    }

    [Fact]
    public async Task A_service_account_that_may_create_cluster_role_bindings_cannot_bind_itself_to_cluster_admin()
    {
        string token = await ServiceAccountAsync("esc", "binder");
        await Ok("create", "clusterrole", "crb-creator", "--verb=create", "--resource=clusterrolebindings");
        await Ok("create", "clusterrolebinding", "binder-creates-crbs", "--clusterrole=crb-creator", "--serviceaccount=esc:binder");

        Kubectl.Result refused = await AsTokenAsync(token, "create", "clusterrolebinding", "pwn", "--clusterrole=cluster-admin", "--serviceaccount=esc:binder");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(
            "clusterrolebindings.rbac.authorization.k8s.io \"pwn\" is forbidden: user \"system:serviceaccount:esc:binder\" (groups=[\"system:serviceaccounts\" \"system:serviceaccounts:esc\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:",
            refused.Stderr,
            StringComparison.Ordinal);
        Assert.Contains("Error from server (Forbidden)", (await AsTokenAsync(token, "get", "secrets", "-A")).Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_admin_cannot_create_a_role_with_everything_nor_bind_cluster_admin_or_system_node()
    {
        string token = await ServiceAccountAsync("nsadmin", "boss");
        await Ok("-n", "nsadmin", "create", "rolebinding", "boss-admin", "--clusterrole=admin", "--serviceaccount=nsadmin:boss");

        const string Everything = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: everything, namespace: nsadmin}
            rules:
            - apiGroups: ["*"]
              resources: ["*"]
              verbs: ["*"]
            """;
        Kubectl.Result role = await AsTokenWithInputAsync(token, Everything, "create", "-f", "-");
        Assert.Contains("roles.rbac.authorization.k8s.io \"everything\" is forbidden", role.Stderr, StringComparison.Ordinal);
        Assert.Contains("{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}", role.Stderr, StringComparison.Ordinal);

        foreach (string clusterRole in new[] { "cluster-admin", "system:node" })
        {
            Kubectl.Result binding = await AsTokenAsync(token, "-n", "nsadmin", "create", "rolebinding", "mine", $"--clusterrole={clusterRole}", "--serviceaccount=nsadmin:boss");
            Assert.Contains("rolebindings.rbac.authorization.k8s.io \"mine\" is forbidden: user \"system:serviceaccount:nsadmin:boss\"", binding.Stderr, StringComparison.Ordinal);
        }

        // Within what admin holds it may still delegate.
        Kubectl.Result edit = await AsTokenAsync(token, "-n", "nsadmin", "create", "rolebinding", "editors", "--clusterrole=edit", "--user=alice");
        Assert.True(edit.ExitCode == 0, edit.Output);
        Assert.Equal("yes", (await server.KubectlAsync("-n", "nsadmin", "auth", "can-i", "create", "deployments", "--as=alice")).Stdout.Trim());
        Assert.Equal("no", (await server.KubectlAsync("-n", "nsadmin", "auth", "can-i", "create", "resourcequotas", "--as=alice")).Stdout.Trim());
    }
}
