namespace Navarch.E2E.Tests;

/// <summary>
/// The central log store end to end on `navarch server` with its own kubelet and containerd: a real container's lines
/// are shipped by the agent, the pod is deleted, and `navarch logs` still prints every line once — by name, by label
/// and time across namespaces — with a one-line error for bad input.
/// </summary>
[Trait("Category", "Node")]
public sealed class CentralLogTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    // The stderr line waits a second: containerd copies stdout and stderr on their own, so lines written at once may reach
    // the log file in either order (on Kubernetes too), and the test reads the last two in order.
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: chatty, labels: {app: chatty}}
        spec:
          terminationGracePeriodSeconds: 1
          restartPolicy: Never
          containers:
          - name: talk
            image: busybox:1.35
            command: ["sh", "-c", "for i in $(seq 1 50); do echo chatty line $i; done; sleep 1; echo to stderr >&2; sleep 3600"]
        """;

    private Task<Kubectl.Result> LogsAsync(params string[] args) => NavarchCli.RunAsync(["logs", "--kubeconfig", node.Kubeconfig, .. args]);

    [Fact]
    public async Task Logs_of_a_deleted_pod_are_found_by_name_label_and_time()
    {
        Kubectl.Result applied = await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], Pod);
        Assert.True(applied.ExitCode == 0, applied.Output);
        string[] expected = [.. Enumerable.Range(1, 50).Select(i => $"chatty line {i}"), "to stderr"];
        await Eventually(
            async () => (await LogsAsync("chatty")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == expected.Length,
            "the pod's lines in the central log store",
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(500),
            async () => (await LogsAsync("chatty")).Output + (await node.KubectlAsync("get", "pod", "chatty", "-o", "wide")).Output);

        Kubectl.Result deleted = await node.KubectlAsync("delete", "pod", "chatty", "--wait=true", "--timeout=60s");
        Assert.True(deleted.ExitCode == 0, deleted.Output);
        Assert.Contains("NotFound", (await node.KubectlAsync("get", "pod", "chatty")).Stderr, StringComparison.Ordinal);

        // pods/log of the deleted pod is answered from the store too (kubectl logs itself reads the Pod object first, so
        // it is reached through --raw, as any client of pods/log reaches it).
        Kubectl.Result raw = await node.KubectlAsync("get", "--raw", "/api/v1/namespaces/default/pods/chatty/log?container=talk&tailLines=2");
        Assert.True(raw.ExitCode == 0, raw.Output);
        Assert.Equal(["chatty line 50", "to stderr"], raw.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Kubectl.Result byName = await LogsAsync("chatty");
        Assert.True(byName.ExitCode == 0, byName.Output);
        Assert.Equal(expected, byName.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Kubectl.Result byLabel = await LogsAsync("-A", "-l", "app=chatty", "--since", "10m", "--tail", "2", "-c", "talk");
        Assert.True(byLabel.ExitCode == 0, byLabel.Output);
        Assert.Equal(["[default/pod/chatty/talk] chatty line 50", "[default/pod/chatty/talk] to stderr"], byLabel.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Kubectl.Result timestamps = await LogsAsync("chatty", "-c", "talk", "--tail", "1", "--timestamps");
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z to stderr\n$", timestamps.Stdout);
        Assert.Empty((await LogsAsync("-l", "app=nothing")).Stdout);
    }

    public static TheoryData<string[], string> BadInput => new()
    {
        { ["--since", "yesterday"], "navarch logs: invalid duration \"yesterday\"" },
        { ["--tail", "-5"], "navarch logs: invalid --tail \"-5\"" },
        { ["--since", "5m", "--since-time", "2026-12-07T10:00:00Z"], "navarch logs: at most one of --since or --since-time may be given" },
        { ["-A", "web"], "navarch logs: a pod or --namespace cannot be given with --all-namespaces" },
        { ["-l", "app==="], "navarch logs: " },
        { ["never-ran"], "navarch logs: no logs of pod \"never-ran\" in namespace \"default\" in the central log store" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_is_a_one_line_error(string[] args, string error)
    {
        Kubectl.Result result = await LogsAsync(args);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(error, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Empty(result.Stdout);
    }
}
