using System.Text.Json;

namespace Navarch.E2E.Tests;

/// <summary>
/// The real kubectl against a control plane: one server (<see cref="KubectlTests"/>) or three
/// (<see cref="HighAvailability.KubectlThreeServerTests"/>).
/// </summary>
public abstract class KubectlBehaviour(IKubectlServer server)
{
    private const string Manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web, tier: front}
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: busybox:1.35
                command: ["httpd", "-f", "-p", "8080"]
                env:
                - {name: A, value: "1"}
                - {name: B, value: "2"}
                ports:
                - containerPort: 8080
              - name: sidecar
                image: busybox:1.35
                command: ["sleep", "3600"]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector: {app: web}
          ports:
          - {name: http, port: 80, targetPort: 8080}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: web-config
        data: {greeting: hello}
        """;

    private async Task<string> Ok(params string[] args)
    {
        Kubectl.Result r = await server.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    private async Task<string> Apply(string yaml, string ns)
    {
        Kubectl.Result r = await server.KubectlWithInputAsync(yaml, "apply", "-n", ns, "-f", "-");
        Assert.True(r.ExitCode == 0, $"kubectl apply failed: {r.Output}");
        return r.Stdout;
    }

    private async Task<JsonElement> Json(params string[] args) => JsonDocument.Parse(await Ok([.. args, "-o", "json"])).RootElement;

    [Fact]
    public async Task Apply_then_apply_a_changed_manifest_gives_the_strategic_merge_result()
    {
        await Ok("create", "namespace", "apply-test");
        string first = await Apply(Manifest, "apply-test");
        Assert.Contains("deployment.apps/web created", first, StringComparison.Ordinal);
        Assert.Contains("service/web created", first, StringComparison.Ordinal);
        Assert.Contains("configmap/web-config created", first, StringComparison.Ordinal);

        // Someone else scales it and adds a label: apply must keep what it does not own.
        await Ok("-n", "apply-test", "label", "deploy", "web", "owner=ops");
        string changed = Manifest
            .Replace("image: busybox:1.35\n        command: [\"httpd\"", "image: busybox:1.36\n        command: [\"httpd\"", StringComparison.Ordinal)
            .Replace("        - {name: A, value: \"1\"}\n", "", StringComparison.Ordinal)
            .Replace("        - {name: B, value: \"2\"}\n", "        - {name: B, value: \"3\"}\n        - {name: C, value: \"4\"}\n", StringComparison.Ordinal)
            .Replace("labels: {app: web, tier: front}", "labels: {app: web}", StringComparison.Ordinal)
            .Replace("data: {greeting: hello}", "data: {greeting: hi, extra: x}", StringComparison.Ordinal);
        string second = await Apply(changed, "apply-test");
        Assert.Contains("deployment.apps/web configured", second, StringComparison.Ordinal);
        Assert.Contains("service/web unchanged", second, StringComparison.Ordinal);

        JsonElement d = await Json("-n", "apply-test", "get", "deploy", "web");
        JsonElement web = d.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        Assert.Equal("busybox:1.36", web.GetProperty("image").GetString());
        Assert.Equal(["B=3", "C=4"], web.GetProperty("env").EnumerateArray().Select(e => $"{e.GetProperty("name").GetString()}={e.GetProperty("value").GetString()}"));
        Assert.Equal(8080, web.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.Equal("sidecar", d.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[1].GetProperty("name").GetString());
        JsonElement labels = d.GetProperty("metadata").GetProperty("labels");
        Assert.False(labels.TryGetProperty("tier", out _), "a label removed from the manifest must go");
        Assert.Equal("ops", labels.GetProperty("owner").GetString());
        Assert.Equal(2, d.GetProperty("metadata").GetProperty("generation").GetInt32());

        JsonElement cm = await Json("-n", "apply-test", "get", "cm", "web-config");
        Assert.Equal("hi", cm.GetProperty("data").GetProperty("greeting").GetString());
        Assert.Equal("x", cm.GetProperty("data").GetProperty("extra").GetString());
    }

    [Fact]
    public async Task Get_prints_every_output_format()
    {
        await Ok("create", "namespace", "get-test");
        await Apply(Manifest, "get-test");
        string table = await Ok("-n", "get-test", "get", "deploy");
        Assert.Matches(@"NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE", table);
        // No kubelet runs here: the Deployment's pods exist (up to date, once the controllers have made them) but never become ready.
        Assert.Matches(@"web\s+0/2\s+[0-2]\s+0\s+\d+s", table);
        string wide = await Ok("-n", "get-test", "get", "svc", "-o", "wide");
        Assert.Matches(@"NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR", wide);
        Assert.Matches(@"web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80/TCP\s+\S+\s+app=web", wide);
        Assert.Contains("name: web", await Ok("-n", "get-test", "get", "deploy", "web", "-o", "yaml"), StringComparison.Ordinal);
        Assert.Equal("2", await Ok("-n", "get-test", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"));
        string columns = await Ok("-n", "get-test", "get", "deploy", "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image");
        Assert.Matches(@"NAME\s+IMAGE\s*\nweb\s+busybox:1\.35", columns);
        string all = await Ok("-n", "get-test", "get", "all");
        Assert.Contains("deployment.apps/web", all, StringComparison.Ordinal);
        Assert.Contains("service/web", all, StringComparison.Ordinal);
        string describe = await Ok("-n", "get-test", "describe", "deploy", "web");
        Assert.Matches(@"Replicas:\s+2 desired", describe);
        Assert.Contains("StrategyType:           RollingUpdate", describe, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Label_annotate_patch_scale_and_edit_change_the_object()
    {
        await Ok("create", "namespace", "edit-test");
        await Apply(Manifest, "edit-test");
        await Ok("-n", "edit-test", "label", "deploy", "web", "color=blue");
        await Ok("-n", "edit-test", "annotate", "deploy", "web", "note=hi");
        await Ok("-n", "edit-test", "patch", "deploy", "web", "-p", "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"busybox:1.36\"}]}}}}");
        await Ok("-n", "edit-test", "patch", "deploy", "web", "--type=merge", "-p", "{\"spec\":{\"minReadySeconds\":5}}");
        await Ok("-n", "edit-test", "patch", "deploy", "web", "--type=json", "-p", "[{\"op\":\"add\",\"path\":\"/metadata/labels/patched\",\"value\":\"json\"}]");
        await Ok("-n", "edit-test", "scale", "deploy", "web", "--replicas=4");
        // KUBE_EDITOR: a script that edits the file kubectl hands it.
        string editor = Path.Combine(server.DataDir, "editor.sh");
        await File.WriteAllTextAsync(editor, "#!/bin/sh\nsed -i 's/minReadySeconds: 5/minReadySeconds: 7/' \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Kubectl.Result edit = await Kubectl.RunAsync(server.Kubeconfig, ["-n", "edit-test", "edit", "deploy", "web"], null, null, new Dictionary<string, string> { ["KUBE_EDITOR"] = editor });
        Assert.True(edit.ExitCode == 0, edit.Output);

        JsonElement d = await Json("-n", "edit-test", "get", "deploy", "web");
        JsonElement labels = d.GetProperty("metadata").GetProperty("labels");
        Assert.Equal("blue", labels.GetProperty("color").GetString());
        Assert.Equal("json", labels.GetProperty("patched").GetString());
        Assert.Equal("hi", d.GetProperty("metadata").GetProperty("annotations").GetProperty("note").GetString());
        Assert.Equal(4, d.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(7, d.GetProperty("spec").GetProperty("minReadySeconds").GetInt32());
        JsonElement containers = d.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers");
        Assert.Equal("busybox:1.36", containers[0].GetProperty("image").GetString());
        Assert.Equal(2, containers.GetArrayLength());
    }

    [Fact]
    public async Task Replace_with_a_stale_resource_version_is_refused_and_delete_and_wait_work()
    {
        await Ok("create", "namespace", "replace-test");
        await Apply(Manifest, "replace-test");
        string stale = await Ok("-n", "replace-test", "get", "cm", "web-config", "-o", "yaml");
        await Ok("-n", "replace-test", "label", "cm", "web-config", "bump=1");
        Kubectl.Result replaced = await server.KubectlWithInputAsync(stale, "-n", "replace-test", "replace", "-f", "-");
        Assert.NotEqual(0, replaced.ExitCode);
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", replaced.Output, StringComparison.Ordinal);

        Task<Kubectl.Result> wait = server.KubectlAsync("-n", "replace-test", "wait", "--for=delete", "cm/web-config", "--timeout=30s");

        // Time for kubectl to start watching: nothing outside the process shows when it has.
        await Task.Delay(500);
        await Ok("-n", "replace-test", "delete", "cm", "web-config");
        Kubectl.Result waited = await wait;
        Assert.True(waited.ExitCode == 0, waited.Output);
        Kubectl.Result gone = await server.KubectlAsync("-n", "replace-test", "get", "cm", "web-config");
        Assert.Contains("Error from server (NotFound): configmaps \"web-config\" not found", gone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_configmap_and_secret_from_literals_arrive_intact()
    {
        // kubectl 1.32 sends these in Kubernetes' protobuf encoding.
        await Ok("create", "namespace", "literal-test");
        await Ok("-n", "literal-test", "create", "configmap", "lit", "--from-literal=a=1", "--from-literal=b=two");
        await Ok("-n", "literal-test", "create", "secret", "generic", "sec", "--from-literal=password=s3cret");
        await Ok("-n", "literal-test", "create", "serviceaccount", "robot");
        JsonElement cm = await Json("-n", "literal-test", "get", "cm", "lit");
        Assert.Equal("1", cm.GetProperty("data").GetProperty("a").GetString());
        Assert.Equal("two", cm.GetProperty("data").GetProperty("b").GetString());
        JsonElement secret = await Json("-n", "literal-test", "get", "secret", "sec");
        Assert.Equal("Opaque", secret.GetProperty("type").GetString());
        Assert.Equal("s3cret", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret.GetProperty("data").GetProperty("password").GetString()!)));
        Assert.Equal("literal-test", (await Json("get", "namespace", "literal-test")).GetProperty("metadata").GetProperty("name").GetString());
        Assert.Matches(@"sec\s+Opaque\s+1\s+\d+s", await Ok("-n", "literal-test", "get", "secrets"));
    }

    [Fact]
    public async Task Kubectl_create_makes_workloads_services_and_rbac()
    {
        await Ok("create", "namespace", "create-test");
        await Ok("-n", "create-test", "create", "deployment", "d1", "--image=busybox:1.35", "--replicas=3", "--port=8080", "--", "sleep", "100");
        await Ok("-n", "create-test", "create", "job", "j1", "--image=busybox:1.35", "--", "sh", "-c", "echo hi");
        await Ok("-n", "create-test", "create", "cronjob", "c1", "--image=busybox:1.35", "--schedule=*/5 * * * *");
        await Ok("-n", "create-test", "create", "service", "nodeport", "s1", "--tcp=80:8080");
        await Ok("-n", "create-test", "create", "role", "r1", "--verb=get", "--resource=pods");
        await Ok("-n", "create-test", "create", "rolebinding", "rb1", "--role=r1", "--user=alice");
        await Ok("-n", "create-test", "create", "quota", "q1", "--hard=pods=5,cpu=2");
        await Ok("-n", "create-test", "expose", "deployment", "d1", "--port=80", "--target-port=8080");
        // kubectl sends these two only in protobuf, with every Go value field written.
        await Ok("-n", "create-test", "create", "poddisruptionbudget", "pdb1", "--selector=app=d1", "--min-available=50%");
        await Ok("-n", "create-test", "create", "ingress", "ing1", "--rule=foo.com/bar=svc1:8080");

        JsonElement d = await Json("-n", "create-test", "get", "deploy", "d1");
        Assert.Equal(3, d.GetProperty("spec").GetProperty("replicas").GetInt32());
        JsonElement c = d.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        Assert.Equal("busybox:1.35", c.GetProperty("image").GetString());
        Assert.Equal(["sleep", "100"], c.GetProperty("command").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(8080, c.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.False(c.GetProperty("ports")[0].TryGetProperty("hostPort", out _), "an unset hostPort stays unset");
        JsonElement job = await Json("-n", "create-test", "get", "job", "j1");
        Assert.Equal("Never", job.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("restartPolicy").GetString());
        Assert.Equal("*/5 * * * *", (await Json("-n", "create-test", "get", "cronjob", "c1")).GetProperty("spec").GetProperty("schedule").GetString());
        JsonElement port = (await Json("-n", "create-test", "get", "svc", "s1")).GetProperty("spec").GetProperty("ports")[0];
        Assert.Equal(8080, port.GetProperty("targetPort").GetInt32());
        Assert.InRange(port.GetProperty("nodePort").GetInt32(), 30000, 32767);
        Assert.Equal("alice", (await Json("-n", "create-test", "get", "rolebinding", "rb1")).GetProperty("subjects")[0].GetProperty("name").GetString());
        Assert.Equal("2", (await Json("-n", "create-test", "get", "quota", "q1")).GetProperty("spec").GetProperty("hard").GetProperty("cpu").GetString());
        Assert.Equal("app=d1", await Ok("-n", "create-test", "get", "svc", "d1", "-o", "jsonpath={.spec.selector.app}").ContinueWith(t => "app=" + t.Result));
        JsonElement pdb = await Json("-n", "create-test", "get", "pdb", "pdb1");
        Assert.Equal("50%", pdb.GetProperty("spec").GetProperty("minAvailable").GetString());
        Assert.Equal("d1", pdb.GetProperty("spec").GetProperty("selector").GetProperty("matchLabels").GetProperty("app").GetString());
        Assert.False(pdb.GetProperty("metadata").TryGetProperty("generateName", out _), "an empty Go string is unset");
        JsonElement rule = (await Json("-n", "create-test", "get", "ingress", "ing1")).GetProperty("spec").GetProperty("rules")[0];
        Assert.Equal("foo.com", rule.GetProperty("host").GetString());
        JsonElement path = rule.GetProperty("http").GetProperty("paths")[0];
        Assert.Equal(("/bar", "Exact"), (path.GetProperty("path").GetString(), path.GetProperty("pathType").GetString()));
        Assert.Equal(8080, path.GetProperty("backend").GetProperty("service").GetProperty("port").GetProperty("number").GetInt32());
        Assert.Contains("kind: List", await Ok("-n", "create-test", "get", "pods", "-o", "yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_namespace_removes_its_contents_and_new_namespaces_get_a_default_service_account()
    {
        await Ok("create", "namespace", "ns-test");
        await Apply(Manifest, "ns-test");
        Kubectl.Result sa = await server.KubectlAsync("-n", "ns-test", "wait", "--for=create", "serviceaccount/default", "--timeout=30s");
        Assert.True(sa.ExitCode == 0, sa.Output);
        Kubectl.Result deleted = await Kubectl.RunAsync(server.Kubeconfig, ["delete", "namespace", "ns-test", "--timeout=60s"], null, TimeSpan.FromSeconds(90));
        Assert.True(deleted.ExitCode == 0, deleted.Output);
        Assert.Contains("namespace \"ns-test\" deleted", deleted.Stdout, StringComparison.Ordinal);
        Kubectl.Result gone = await server.KubectlAsync("get", "namespace", "ns-test");
        Assert.Contains("namespaces \"ns-test\" not found", gone.Stderr, StringComparison.Ordinal);
        Assert.Contains("No resources found", (await server.KubectlAsync("-n", "ns-test", "get", "deploy,svc,cm")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_token_gives_a_bearer_token_that_kubectl_can_use_alone_and_auth_whoami_names_its_account()
    {
        await Ok("create", "namespace", "token-test");
        await Ok("-n", "token-test", "create", "serviceaccount", "bot");
        string token = (await Ok("-n", "token-test", "create", "token", "bot", "--duration=15m")).Trim();
        Assert.Matches(@"^[\w-]+\.[\w-]+\.[\w-]+$", token);

        // Only the server and its CA from the admin kubeconfig: the token is the sole credential.
        string address = await Ok("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}");
        string ca = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(ca, Convert.FromBase64String(await Ok("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")));
            string[] alone = ["--kubeconfig=/dev/null", $"--server={address}", $"--certificate-authority={ca}"];
            // Under RBAC (the default) the account may do nothing until it is bound to a role.
            Kubectl.Result refused = await Kubectl.RunAsync("/dev/null", [.. alone, $"--token={token}", "-n", "token-test", "get", "serviceaccounts"]);
            Assert.Contains("serviceaccounts is forbidden: User \"system:serviceaccount:token-test:bot\" cannot list resource \"serviceaccounts\"", refused.Stderr, StringComparison.Ordinal);
            await Ok("-n", "token-test", "create", "rolebinding", "bot-view", "--clusterrole=view", "--serviceaccount=token-test:bot");
            Kubectl.Result listed = await Kubectl.RunAsync("/dev/null", [.. alone, $"--token={token}", "-n", "token-test", "get", "serviceaccounts"]);
            Assert.True(listed.ExitCode == 0, listed.Output);
            Assert.Matches(@"(?m)^bot\s", listed.Stdout);
            Kubectl.Result whoami = await Kubectl.RunAsync("/dev/null", [.. alone, $"--token={token}", "auth", "whoami"]);
            Assert.True(whoami.ExitCode == 0, whoami.Output);
            Assert.Matches(@"Username\s+system:serviceaccount:token-test:bot", whoami.Stdout);
            Assert.Matches(@"Groups\s+\[system:serviceaccounts system:serviceaccounts:token-test system:authenticated\]", whoami.Stdout);
            Kubectl.Result canList = await Kubectl.RunAsync("/dev/null", [.. alone, $"--token={token}", "auth", "can-i", "list", "pods", "-n", "token-test"]);
            Assert.Equal((0, "yes"), (canList.ExitCode, canList.Stdout.Trim()));
            Kubectl.Result canCreate = await Kubectl.RunAsync("/dev/null", [.. alone, $"--token={token}", "auth", "can-i", "create", "pods", "-n", "token-test"]);
            Assert.Equal("no", canCreate.Stdout.Trim());
            Kubectl.Result forged = await Kubectl.RunAsync("/dev/null", [.. alone, $"--token={token[..^4]}AAAA", "get", "pods"]);
            Assert.Contains("Unauthorized", forged.Stderr, StringComparison.Ordinal);

            Kubectl.Result tooShort = await server.KubectlAsync("-n", "token-test", "create", "token", "bot", "--duration=1m");
            Assert.Contains("may not specify a duration less than 10 minutes", tooShort.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(ca);
        }

        await Ok("delete", "namespace", "token-test", "--wait=false");
    }

    [Fact]
    public async Task Get_watch_sees_a_change()
    {
        await Ok("create", "namespace", "watch-test");
        Task<Kubectl.Result> watch = Kubectl.RunAsync(server.Kubeconfig, ["-n", "watch-test", "get", "cm", "-w", "--request-timeout=8s"], null, TimeSpan.FromSeconds(20));
        // Time for kubectl to list and start watching: nothing outside the process shows when it has.
        await Task.Delay(1500);
        await Apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: seen}\ndata: {a: b}\n", "watch-test");
        Kubectl.Result result = await watch;
        Assert.Matches(@"seen\s+1\s+\d+s", result.Stdout);
    }

    [Fact]
    public async Task Discovery_and_openapi_serve_api_resources_and_explain()
    {
        string resources = await Ok("api-resources");
        Assert.Matches(@"deployments\s+deploy\s+apps/v1\s+true\s+Deployment", resources);
        Assert.Matches(@"pods\s+po\s+v1\s+true\s+Pod", resources);
        string explain = await Ok("explain", "deployment.spec.strategy");
        Assert.Contains("rollingUpdate", explain, StringComparison.Ordinal);
        Assert.Contains("The deployment strategy to use to replace existing pods with new ones.", explain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_read_as_kubectl_users_know_them()
    {
        Kubectl.Result badName = await server.KubectlWithInputAsync("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n", "apply", "-f", "-");
        Assert.NotEqual(0, badName.ExitCode);
        Assert.Contains("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", badName.Stderr, StringComparison.Ordinal);

        Kubectl.Result unknown = await server.KubectlWithInputAsync("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strict}\nbogus: 1\n", "apply", "--validate=strict", "-f", "-");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("unknown field \"bogus\"", unknown.Stderr, StringComparison.Ordinal);

        Kubectl.Result missing = await server.KubectlWithInputAsync("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lost}\n", "apply", "-n", "no-such-namespace", "-f", "-");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("namespaces \"no-such-namespace\" not found", missing.Stderr, StringComparison.Ordinal);
    }
}
