using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// Server-side apply and metadata.managedFields against the real API server, with the Kubernetes documentation's
/// examples (ownership, conflicts, sharing, removal, transfer to an HPA-like manager), and the real kubectl.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ServerSideApplyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Deployments = "/apis/apps/v1/namespaces/default/deployments";

    private static string Deployment(string name, int? replicas = 3, string image = "nginx:1.25", string extraLabels = "") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{name}}
          labels:
            app: {{name}}{{extraLabels}}
        spec:
        {{(replicas is { } r ? $"  replicas: {r}" : "")}}
          selector:
            matchLabels:
              app: {{name}}
          template:
            metadata:
              labels:
                app: {{name}}
            spec:
              containers:
              - name: nginx
                image: {{image}}
                ports:
                - containerPort: 80
        """;

    private async Task<(int Code, JsonObject Body)> SendAsync(string method, string path, string contentType, string body, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (contentType.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        return ((int)response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private Task<(int Code, JsonObject Body)> ApplyAsync(string name, string yaml, string manager, bool force = false, string extra = "") =>
        SendAsync("PATCH", $"{Deployments}/{name}?fieldManager={manager}{(force ? "&force=true" : "")}{extra}", "application/apply-patch+yaml", yaml);

    private static JsonObject Entry(JsonObject obj, string manager, string operation = "Apply") =>
        (JsonObject)((JsonArray)obj["metadata"]!["managedFields"]!).Single(e => e!["manager"]!.GetValue<string>() == manager && e["operation"]!.GetValue<string>() == operation)!;

    private static bool Owns(JsonObject obj, string manager, string operation = "Apply") =>
        ((JsonArray)obj["metadata"]!["managedFields"]!).Any(e => e!["manager"]!.GetValue<string>() == manager && e["operation"]!.GetValue<string>() == operation
            && e["fieldsV1"]!["f:spec"]?["f:replicas"] is not null);

    [Fact]
    public async Task Apply_creates_the_object_and_records_the_appliers_fields()
    {
        (int code, JsonObject created) = await ApplyAsync("ssa-create", Deployment("ssa-create"), "alice");

        Assert.Equal(201, code);
        JsonObject entry = Entry(created, "alice");
        Assert.Equal("apps/v1", entry["apiVersion"]!.GetValue<string>());
        Assert.Equal("FieldsV1", entry["fieldsType"]!.GetValue<string>());
        Assert.NotNull(entry["time"]);
        Assert.Equal("{}", entry["fieldsV1"]!["f:spec"]!["f:replicas"]!.ToJsonString());
        Assert.Equal("{}", entry["fieldsV1"]!["f:spec"]!["f:selector"]!.ToJsonString());
        Assert.NotNull(entry["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"nginx\"}"]!["."]);
        Assert.Equal(600, created["spec"]!["progressDeadlineSeconds"]!.GetValue<int>()); // defaulted as any create

        (int again, JsonObject same) = await ApplyAsync("ssa-create", Deployment("ssa-create"), "alice");
        Assert.Equal(200, again);
        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), same["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_change_to_a_field_another_manager_owns_is_a_conflict_until_forced()
    {
        await ApplyAsync("ssa-conflict", Deployment("ssa-conflict"), "alice");

        (int code, JsonObject status) = await ApplyAsync("ssa-conflict", Deployment("ssa-conflict", replicas: 5), "bob");

        Assert.Equal(409, code);
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas", status["message"]!.GetValue<string>());
        JsonNode cause = status["details"]!["causes"]![0]!;
        Assert.Equal("FieldManagerConflict", cause["reason"]!.GetValue<string>());
        Assert.Equal("conflict with \"alice\"", cause["message"]!.GetValue<string>());
        Assert.Equal(".spec.replicas", cause["field"]!.GetValue<string>());

        (int forced, JsonObject taken) = await ApplyAsync("ssa-conflict", Deployment("ssa-conflict", replicas: 5), "bob", force: true);
        Assert.Equal(200, forced);
        Assert.Equal(5, taken["spec"]!["replicas"]!.GetValue<int>());
        Assert.True(Owns(taken, "bob"));
        Assert.False(Owns(taken, "alice"));
    }

    [Fact]
    public async Task Two_appliers_setting_the_same_value_share_the_field()
    {
        await ApplyAsync("ssa-share", Deployment("ssa-share"), "alice");

        (int code, JsonObject shared) = await ApplyAsync("ssa-share", Deployment("ssa-share"), "bob");

        Assert.Equal(200, code);
        Assert.True(Owns(shared, "alice"));
        Assert.True(Owns(shared, "bob"));
        (int conflict, JsonObject status) = await ApplyAsync("ssa-share", Deployment("ssa-share", replicas: 4), "carol");
        Assert.Equal(409, conflict);
        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .spec.replicas\nconflicts with \"bob\":\n- .spec.replicas",
            status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_field_the_applier_stops_sending_is_removed_unless_another_manager_owns_it()
    {
        await ApplyAsync("ssa-remove", Deployment("ssa-remove", extraLabels: "\n    tier: front\n    team: a"), "alice");
        await SendAsync("PATCH", $"{Deployments}/ssa-remove?fieldManager=editor", "application/merge-patch+json", """{"metadata":{"labels":{"team":"b"}}}""");

        (int code, JsonObject after) = await ApplyAsync("ssa-remove", Deployment("ssa-remove"), "alice");

        Assert.Equal(200, code);
        Assert.Null(after["metadata"]!["labels"]!["tier"]);
        Assert.Equal("b", after["metadata"]!["labels"]!["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_autoscaler_taking_replicas_through_scale_takes_them_from_the_applier()
    {
        await ApplyAsync("ssa-hpa", Deployment("ssa-hpa"), "alice");

        (int scaled, _) = await SendAsync("PATCH", $"{Deployments}/ssa-hpa/scale?fieldManager=hpa", "application/merge-patch+json", """{"spec":{"replicas":6}}""");
        Assert.Equal(200, scaled);
        (_, JsonObject live) = await SendAsync("GET", $"{Deployments}/ssa-hpa", "", "");
        Assert.False(Owns(live, "alice"));
        JsonObject hpa = Entry(live, "hpa", "Update");
        Assert.Equal("scale", hpa["subresource"]!.GetValue<string>());

        (int again, JsonObject status) = await ApplyAsync("ssa-hpa", Deployment("ssa-hpa"), "alice");
        Assert.Equal(409, again);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"hpa\" with subresource \"scale\" using apps/v1: .spec.replicas", status["message"]!.GetValue<string>());

        // The documented hand-over: the applier stops sending replicas; they stay as the autoscaler set them.
        (int handedOver, JsonObject after) = await ApplyAsync("ssa-hpa", Deployment("ssa-hpa", replicas: null), "alice");
        Assert.Equal(200, handedOver);
        Assert.Equal(6, after["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_write_is_tracked_and_managedFields_follow_kubernetes_rules()
    {
        const string path = "/api/v1/namespaces/default/configmaps";
        (int created, JsonObject cm) = await SendAsync("POST", path, "application/json", """{"metadata":{"name":"mf"},"data":{"a":"1"}}""", userAgent: "myctl/1.2 (linux/amd64)");
        Assert.Equal(201, created);
        JsonObject entry = Entry(cm, "myctl", "Update");
        Assert.Equal("v1", entry["apiVersion"]!.GetValue<string>());
        Assert.Equal("{\"f:data\":{\"f:a\":{}}}", entry["fieldsV1"]!.ToJsonString());

        (_, JsonObject patched) = await SendAsync("PATCH", $"{path}/mf?fieldManager=patcher", "application/strategic-merge-patch+json", """{"data":{"b":"2"}}""");
        Assert.Equal("{\"f:data\":{\"f:b\":{}}}", Entry(patched, "patcher", "Update")["fieldsV1"]!.ToJsonString());

        (_, JsonObject kept) = await SendAsync("PUT", $"{path}/mf", "application/json", """{"metadata":{"name":"mf"},"data":{"a":"1","b":"2","c":"3"}}""", userAgent: "putter");
        Assert.Equal(3, ((JsonArray)kept["metadata"]!["managedFields"]!).Count);

        (_, JsonObject cleared) = await SendAsync("PUT", $"{path}/mf", "application/json", """{"metadata":{"name":"mf","managedFields":[]},"data":{"a":"1"}}""", userAgent: "putter");
        Assert.Null(cleared["metadata"]!["managedFields"]);
    }

    [Fact]
    public async Task Status_writes_are_tracked_apart()
    {
        await ApplyAsync("ssa-status", Deployment("ssa-status"), "alice");

        (int code, JsonObject obj) = await SendAsync("PATCH", $"{Deployments}/ssa-status/status?fieldManager=controller", "application/merge-patch+json", """{"status":{"observedGeneration":1}}""");

        Assert.Equal(200, code);
        JsonObject entry = Entry(obj, "controller", "Update");
        Assert.Equal("status", entry["subresource"]!.GetValue<string>());
        Assert.Equal("{\"f:status\":{\"f:observedGeneration\":{}}}", entry["fieldsV1"]!.ToJsonString());
    }

    [Theory]
    [InlineData("", "application/apply-patch+yaml", 422, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")]
    [InlineData("?fieldManager=x&force=true", "application/merge-patch+json", 422, "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch")]
    public async Task Patch_options_are_validated_as_kubernetes_does(string query, string type, int code, string message)
    {
        (int got, JsonObject status) = await SendAsync("PATCH", $"{Deployments}/ssa-options{query}", type, Deployment("ssa-options"));

        Assert.Equal(code, got);
        Assert.Equal(message, status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_applied_configuration_must_be_of_the_resources_version_and_carry_no_managedFields()
    {
        (int code, JsonObject status) = await ApplyAsync("ssa-version", Deployment("ssa-version").Replace("apps/v1", "apps/v1beta1", StringComparison.Ordinal), "alice");
        Assert.Equal(400, code);
        Assert.Equal("Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1", status["message"]!.GetValue<string>());

        (int other, JsonObject named) = await ApplyAsync("ssa-other-name", Deployment("ssa-version"), "alice");
        Assert.Equal(400, other);
        Assert.Contains("does not match the name on the URL", named["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_apply_stores_nothing()
    {
        (int code, JsonObject obj) = await ApplyAsync("ssa-dry", Deployment("ssa-dry"), "alice", extra: "&dryRun=All");

        Assert.True(code is 200 or 201);
        Assert.Equal("alice", Entry(obj, "alice")["manager"]!.GetValue<string>());
        (int get, _) = await SendAsync("GET", $"{Deployments}/ssa-dry", "", "");
        Assert.Equal(404, get);
    }

    private async Task<(int ExitCode, string Output)> KubectlAsync(string? input, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        start.Environment["KUBECONFIG"] = fixture.Server.AdminKubeconfigPath;
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Kubectl_applies_server_side_reports_conflicts_forces_diffs_and_shows_managed_fields()
    {
        (int applied, string output) = await KubectlAsync(Deployment("kubectl-ssa"), "apply", "--server-side", "-f", "-");
        Assert.True(applied == 0, output);
        Assert.Contains("deployment.apps/kubectl-ssa serverside-applied", output, StringComparison.Ordinal);

        (int conflict, string refused) = await KubectlAsync(Deployment("kubectl-ssa", replicas: 5), "apply", "--server-side", "--field-manager=other", "-f", "-");
        Assert.NotEqual(0, conflict);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas", refused, StringComparison.Ordinal);

        (int diff, string diffed) = await KubectlAsync(Deployment("kubectl-ssa", replicas: 5), "diff", "--server-side", "--force-conflicts", "--field-manager=other", "-f", "-");
        Assert.True(diff == 1, diffed);
        Assert.Contains("+  replicas: 5", diffed, StringComparison.Ordinal);

        (int forced, string forcedOutput) = await KubectlAsync(Deployment("kubectl-ssa", replicas: 5), "apply", "--server-side", "--force-conflicts", "--field-manager=other", "-f", "-");
        Assert.True(forced == 0, forcedOutput);

        (int shown, string yaml) = await KubectlAsync(null, "get", "deployment", "kubectl-ssa", "--show-managed-fields", "-o", "yaml");
        Assert.True(shown == 0, yaml);
        Assert.Contains("manager: other", yaml, StringComparison.Ordinal);
        Assert.Contains("operation: Apply", yaml, StringComparison.Ordinal);
        Assert.Contains("f:replicas: {}", yaml, StringComparison.Ordinal);
        (_, string hidden) = await KubectlAsync(null, "get", "deployment", "kubectl-ssa", "-o", "yaml");
        Assert.DoesNotContain("managedFields", hidden, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_moves_an_object_from_client_side_to_server_side_apply()
    {
        (int client, string clientOutput) = await KubectlAsync(Deployment("kubectl-migrate"), "apply", "-f", "-");
        Assert.True(client == 0, clientOutput);
        (_, JsonObject before) = await SendAsync("GET", $"{Deployments}/kubectl-migrate", "", "");
        Assert.NotNull(Entry(before, "kubectl-client-side-apply", "Update"));

        (int server, string serverOutput) = await KubectlAsync(Deployment("kubectl-migrate", replicas: 4), "apply", "--server-side", "-f", "-");

        Assert.True(server == 0, serverOutput);
        (_, JsonObject after) = await SendAsync("GET", $"{Deployments}/kubectl-migrate", "", "");
        Assert.Equal(4, after["spec"]!["replicas"]!.GetValue<int>());
        Assert.True(Owns(after, "kubectl"));
        Assert.Contains("\"replicas\":4", after["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
