using System.Text.Json;

namespace Navarch.E2E.Tests;

/// <summary>
/// <c>navarch server --audit-policy-file --audit-log-path</c> driven by a scripted series of real kubectl commands
/// (create, get, apply twice, delete, a refused request): the audit.k8s.io/v1 events read back from the file, one
/// ResponseComplete per API call in order, at the level the policy gives each.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AuditKubectlTests : IAsyncLifetime
{
    private const string Namespace = "audit-e2e";

    private const string Policy = """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
        - level: RequestResponse
          namespaces: [audit-e2e]
        - level: Metadata
        """;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-e2e-audit-");
    private NavarchServer _server = null!;

    private string LogPath => Path.Combine(_dir.FullName, "audit.log");

    public async Task InitializeAsync()
    {
        string policy = Path.Combine(_dir.FullName, "policy.yaml");
        await File.WriteAllTextAsync(policy, Policy);
        _server = new NavarchServer("--audit-policy-file", policy, "--audit-log-path", LogPath, "--audit-log-maxsize", "10", "--audit-log-maxbackup", "2");
        await _server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private static string? Text(JsonElement e, params string[] path)
    {
        foreach (string p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
    }

    private async Task<Kubectl.Result> RunAsync(string? input, params string[] args) => await Kubectl.RunAsync(_server.Kubeconfig, args, input);

    [Fact]
    public async Task A_scripted_series_of_kubectl_commands_is_in_the_audit_log_in_order()
    {
        const string applied = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: applied, namespace: audit-e2e}
            data: {round: "1"}
            """;
        (string? Input, string[] Args, int ExitCode)[] script =
        [
            (null, ["create", "namespace", Namespace], 0),
            (null, ["-n", Namespace, "create", "configmap", "cm", "--from-literal=k=v"], 0),
            (null, ["-n", Namespace, "get", "configmap", "cm", "-o", "json"], 0),
            (applied, ["apply", "-f", "-"], 0),
            (applied.Replace("\"1\"", "\"2\"", StringComparison.Ordinal), ["apply", "-f", "-"], 0),
            (null, ["-n", Namespace, "delete", "configmap", "cm", "--wait=false"], 0),
            (null, ["-n", Namespace, "get", "secrets", "--as=alice"], 1),
        ];
        foreach ((string? input, string[] args, int exitCode) in script)
        {
            Kubectl.Result r = await RunAsync(input, args);
            Assert.True(r.ExitCode == exitCode, $"kubectl {string.Join(' ', args)} exited {r.ExitCode}: {r.Output}");
        }

        // The API calls kubectl made for the objects of the script (discovery, OpenAPI and the controllers' own calls
        // in the namespace left aside), as
        // (verb, resource, name, code): apply reads first, then creates (after checking that the object's namespace
        // exists) or patches.
        (string?, string?, string?, string?)[] expected =
        [
            ("create", "namespaces", Namespace, "201"),
            ("create", "configmaps", "cm", "201"),
            ("get", "configmaps", "cm", "200"),
            ("get", "configmaps", "applied", "404"),
            ("get", "namespaces", Namespace, "200"),
            ("create", "configmaps", "applied", "201"),
            ("get", "configmaps", "applied", "200"),
            ("patch", "configmaps", "applied", "200"),
            ("delete", "configmaps", "cm", "200"),
            ("list", "secrets", null, "403"),
        ];
        List<JsonElement> events = await Eventually(
            () => Task.FromResult(ReadEvents().Where(e => IsKubectl(e) && (Text(e, "objectRef", "namespace") == Namespace || Text(e, "objectRef", "name") == Namespace)).ToList()),
            found => found.Count >= expected.Length,
            $"{expected.Length} audit events of the script",
            TimeSpan.FromSeconds(30));
        Assert.Equal(expected, events.Select(e => (Text(e, "verb"), Text(e, "objectRef", "resource"), Text(e, "objectRef", "name"), Text(e, "responseStatus", "code"))));

        foreach (JsonElement e in events)
        {
            Assert.Equal(("audit.k8s.io/v1", "Event", "ResponseComplete"), (Text(e, "apiVersion"), Text(e, "kind"), Text(e, "stage")));
            Assert.Equal("system:admin", Text(e, "user", "username"));
            Assert.Matches("^[0-9a-f-]{36}$", Text(e, "auditID"));
            Assert.NotNull(Text(e, "requestReceivedTimestamp"));
        }

        // The namespace itself is outside audit-e2e's rule: Metadata, no objects.
        Assert.Equal(("Metadata", null, null), (Text(events[0], "level"), Text(events[0], "requestObject"), Text(events[0], "responseObject")));

        // But a request to the Namespace object by name is in that namespace, as in Kubernetes' RequestInfo.
        Assert.Equal(("RequestResponse", Namespace, "Namespace"), (Text(events[4], "level"), Text(events[4], "objectRef", "namespace"), Text(events[4], "responseObject", "kind")));

        // Inside it, RequestResponse: what kubectl sent and what it got back.
        JsonElement create = events[1];
        Assert.Equal(("RequestResponse", "v", "v"), (Text(create, "level"), Text(create, "requestObject", "data", "k"), Text(create, "responseObject", "data", "k")));
        Assert.NotNull(Text(create, "responseObject", "metadata", "uid"));
        Assert.Equal("Status", Text(events[3], "responseObject", "kind"));
        JsonElement patch = events[7];
        Assert.Equal("2", Text(patch, "requestObject", "data", "round"));
        Assert.Equal("2", Text(patch, "responseObject", "data", "round"));

        // The refusal: who asked, as whom, and why not.
        JsonElement refused = events[^1];
        Assert.Equal(("alice", "forbid"), (Text(refused, "impersonatedUser", "username"), Text(refused, "annotations", "authorization.k8s.io/decision")));
        Assert.Equal("secrets is forbidden: User \"alice\" cannot list resource \"secrets\" in API group \"\" in the namespace \"audit-e2e\"", Text(refused, "responseStatus", "message"));
    }

    private static bool IsKubectl(JsonElement e) => Text(e, "userAgent")?.StartsWith("kubectl/", StringComparison.Ordinal) == true;

    /// <summary>Every complete line of the log (the server writes it asynchronously, a line at a time).</summary>
    private List<JsonElement> ReadEvents()
    {
        if (!File.Exists(LogPath))
        {
            return [];
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var events = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.EndsWith('}'))
            {
                events.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        return events;
    }
}
