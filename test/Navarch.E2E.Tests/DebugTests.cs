using System.Diagnostics;
using System.Text.Json;

namespace Navarch.E2E.Tests;

/// <summary>
/// kubectl debug with ephemeral containers, against `navarch server` with its own kubelet and containerd: the API
/// server adds the container through pods/ephemeralcontainers, the kubelet starts it in the pod's sandbox once (with
/// --target, in the target container's PID namespace), reports it in status.ephemeralContainerStatuses, and serves
/// its logs and an attached session.
/// </summary>
[Trait("Category", "Node")]
public sealed class DebugTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    [Fact]
    public async Task Kubectl_debug_runs_an_ephemeral_container_once_with_logs_and_a_terminated_status()
    {
        await RunPodAsync("plain");
        await node.OkAsync("debug", "plain", "--image=busybox:1.35", "-c", "debugger", "--", "sh", "-c", "echo hi from debugger; sleep 1");

        JsonElement terminated = await TerminatedAsync("plain", "debugger");
        Assert.Equal(0, terminated.GetProperty("exitCode").GetInt32());
        Assert.Equal("Completed", terminated.GetProperty("reason").GetString());
        Assert.Contains("hi from debugger", await node.OkAsync("logs", "plain", "-c", "debugger"), StringComparison.Ordinal);

        // Never restarted: a few syncs later it is the same exited container, and the pod still runs.
        string containerId = terminated.GetProperty("containerID").GetString()!;
        await Task.Delay(TimeSpan.FromSeconds(3));
        JsonElement again = await TerminatedAsync("plain", "debugger");
        Assert.Equal(containerId, again.GetProperty("containerID").GetString());
        Assert.Equal("Running", await node.OkAsync("get", "pod", "plain", "-o", "jsonpath={.status.phase}"));
        Assert.Equal("0", await node.OkAsync("get", "pod", "plain", "-o", "jsonpath={.status.ephemeralContainerStatuses[0].restartCount}"));
    }

    [Fact]
    public async Task With_a_target_the_debugger_sees_the_target_process_and_without_one_it_does_not()
    {
        await RunPodAsync("targeted");
        await node.OkAsync("debug", "targeted", "--image=busybox:1.35", "-c", "with-target", "--target=main", "--", "ps");
        await node.OkAsync("debug", "targeted", "--image=busybox:1.35", "-c", "alone", "--", "ps");
        Assert.Equal(0, (await TerminatedAsync("targeted", "with-target")).GetProperty("exitCode").GetInt32());
        Assert.Equal(0, (await TerminatedAsync("targeted", "alone")).GetProperty("exitCode").GetInt32());

        Assert.Contains("sleep 3600", await node.OkAsync("logs", "targeted", "-c", "with-target"), StringComparison.Ordinal);
        Assert.DoesNotContain("sleep 3600", await node.OkAsync("logs", "targeted", "-c", "alone"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_debug_interactive_attaches_to_the_ephemeral_container()
    {
        await RunPodAsync("interactive");
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.Environment["KUBECONFIG"] = node.Kubeconfig;
        foreach (string arg in new[] { "debug", "-i", "interactive", "--image=busybox:1.35", "-c", "shell", "--target=main" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process debug = Process.Start(start)!;
        try
        {
            // The shell reads stdin once kubectl has attached; what is written before waits in the pipe.
            await debug.StandardInput.WriteLineAsync("echo marker-$((40+2)); ps");
            await debug.StandardInput.FlushAsync();
            var seen = new List<string>();
            string? line;
            do
            {
                line = await debug.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
                seen.Add(line ?? "<eof>");
            }
            while (line is not null && !line.Contains("marker-42", StringComparison.Ordinal));
            Assert.True(line is not null, $"no marker in the attached output: {string.Join('\n', seen)}");

            // The target's process is visible from the attached shell, then exit ends the session and the container.
            do
            {
                line = await debug.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            while (line is not null && !line.Contains("sleep 3600", StringComparison.Ordinal));
            Assert.NotNull(line);
            await debug.StandardInput.WriteLineAsync("exit 3");
            await debug.StandardInput.FlushAsync();
            await debug.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!debug.HasExited)
            {
                debug.Kill();
                await debug.WaitForExitAsync();
            }
        }

        Assert.Equal(3, (await TerminatedAsync("interactive", "shell")).GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Kubectl_debug_it_with_a_terminal_runs_a_shell_with_a_tty_in_the_ephemeral_container()
    {
        await RunPodAsync("terminal");

        // script(1) gives kubectl a pseudo-terminal, as a user's shell would.
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.Environment["KUBECONFIG"] = node.Kubeconfig;
        foreach (string arg in new[] { "-qfec", "kubectl debug -it terminal --image=busybox:1.35 -c tty --target=main -- sh", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process debug = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        Task reader = Task.Run(async () =>
        {
            char[] buffer = new char[1024];
            int n;
            while ((n = await debug.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (output)
                {
                    output.Append(buffer, 0, n);
                }
            }
        });
        string Seen()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        try
        {
            await Eventually(() => TtyAttached(Seen()), "the attached prompt", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250), () => Seen());
            await debug.StandardInput.WriteAsync("tty; echo tty-$((6*7))\r");
            await debug.StandardInput.FlushAsync();
            await Eventually(() => Seen().Contains("tty-42", StringComparison.Ordinal), "the shell's answer", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250), () => Seen());
            Assert.Contains("/dev/pts/", Seen(), StringComparison.Ordinal);
            await debug.StandardInput.WriteAsync("exit\r");
            await debug.StandardInput.FlushAsync();
            await debug.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!debug.HasExited)
            {
                debug.Kill(entireProcessTree: true);
                await debug.WaitForExitAsync();
            }

            await reader.WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, (await TerminatedAsync("terminal", "tty")).GetProperty("exitCode").GetInt32());
    }

    /// <summary>kubectl has attached once it tells the user to press enter (or the shell's prompt shows).</summary>
    private static bool TtyAttached(string output) =>
        output.Contains("If you don't see a command prompt", StringComparison.Ordinal) || output.Contains("# ", StringComparison.Ordinal);

    /// <summary>A pod whose one container, main, sleeps; returns once it runs.</summary>
    private async Task RunPodAsync(string name)
    {
        Kubectl.Result applied = await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{name}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sleep", "3600"]
            """);
        Assert.True(applied.ExitCode == 0, applied.Output);
        await node.OkAsync("wait", "--for=condition=Ready", $"pod/{name}", "--timeout=90s");
    }

    /// <summary>The terminated state of the pod's ephemeral container, once it has one.</summary>
    private async Task<JsonElement> TerminatedAsync(string pod, string container)
    {
        JsonElement state = default;
        await Eventually(
            async () =>
            {
                string json = (await node.KubectlAsync("get", "pod", pod, "-o", $"jsonpath={{.status.ephemeralContainerStatuses[?(@.name==\"{container}\")].state}}")).Stdout;
                if (json.Length == 0)
                {
                    return false;
                }

                state = JsonDocument.Parse(json).RootElement.Clone();
                return state.TryGetProperty("terminated", out _);
            },
            $"ephemeral container {container} of {pod} terminated",
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(250));
        return state.GetProperty("terminated");
    }
}
