using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using k8s;

namespace Navarch.E2E.Tests;

/// <summary>
/// kubectl logs (tail, timestamps, limit-bytes, -f, --previous), exec (output, exit code, stdin), cp, port-forward and
/// attach, and the C# client's WebSocket exec, against `navarch server` with its own kubelet and containerd: the API
/// server proxies to the kubelet's HTTPS API, which reads CRI log files and passes streams to containerd.
/// </summary>
[Trait("Category", "Node")]
public sealed partial class StreamingTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    private const string LoggerPod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: logger}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: logger
            image: busybox:1.35
            command: ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.3; done"]
        """;

    private async Task<string> Ok(params string[] args)
    {
        Kubectl.Result r = await node.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    /// <summary>Applies <paramref name="yaml"/> and waits until the pod's containers run.</summary>
    private async Task RunPodAsync(string name, string yaml)
    {
        Kubectl.Result applied = await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], yaml);
        Assert.True(applied.ExitCode == 0, applied.Output);
        await WaitForAsync(async () => (await node.KubectlAsync("get", "pod", name, "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt}")).Stdout.Length > 0, $"pod {name} running");
    }

    private Process StartKubectl(bool redirectInput, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectInput, UseShellExecute = false };
        start.Environment["KUBECONFIG"] = node.Kubeconfig;
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 60) =>
        Eventually(condition, what, TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(250));

    private static int LastLine(string logs) =>
        LineNumber().Matches(logs).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max();

    [Fact]
    public async Task Logs_show_output_with_tail_timestamps_since_and_limit_bytes()
    {
        await RunPodAsync("logger", LoggerPod);
        await WaitForAsync(async () => LastLine((await node.KubectlAsync("logs", "logger")).Stdout) >= 3, "four lines of output");

        string all = await Ok("logs", "logger");
        Assert.StartsWith("line 0\nline 1\nline 2\n", all, StringComparison.Ordinal);

        string tail = await Ok("logs", "logger", "--tail=2");
        string[] lines = tail.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal(LastLine(lines[0]) + 1, LastLine(lines[1]));

        string stamped = await Ok("logs", "logger", "--timestamps", "--tail=1");
        Match m = Stamped().Match(stamped);
        Assert.True(m.Success, $"not an RFC 3339 nano timestamp and a line: {stamped}");
        DateTimeOffset at = DateTimeOffset.Parse(m.Groups[1].Value[..26] + "Z", CultureInfo.InvariantCulture);
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.Equal("line 0\nli", await Ok("logs", "logger", "--limit-bytes=9"));
        Assert.StartsWith("line 0\n", await Ok("logs", "logger", "--since=1h"), StringComparison.Ordinal);
        string recent = await Ok("logs", "logger", "--since=1s");
        Assert.DoesNotContain("line 0\n", recent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_follow_streams_new_lines_until_interrupted()
    {
        await RunPodAsync("logger", LoggerPod);
        int before = LastLine(await Ok("logs", "logger"));
        Kubectl.Result followed = await Kubectl.RunAsync(node.Kubeconfig, ["logs", "-f", "logger"], timeout: TimeSpan.FromSeconds(4));
        Assert.True(LastLine(followed.Stdout) >= before + 5, $"logs -f showed no new lines after line {before}: {followed.Output}");
        Assert.StartsWith("line 0\n", followed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_previous_shows_the_run_before_the_restart()
    {
        await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], """
            apiVersion: v1
            kind: Pod
            metadata: {name: crasher}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sh", "-c", "echo run $(cat /proc/sys/kernel/random/uuid); sleep 1; exit 1"]
            """);
        Kubectl.Result missing = await node.KubectlAsync("logs", "crasher", "--previous");
        string current = "", previous = "";
        await WaitForAsync(async () =>
        {
            current = (await node.KubectlAsync("logs", "crasher")).Stdout;
            previous = (await node.KubectlAsync("logs", "crasher", "--previous")).Stdout;
            return current.StartsWith("run ", StringComparison.Ordinal) && previous.StartsWith("run ", StringComparison.Ordinal) && current != previous;
        }, "a restart with a previous run's log", 90);
        Assert.Matches("^run [0-9a-f-]{36}\n$", previous);
        Assert.Matches("^run [0-9a-f-]{36}\n$", current);
        Assert.True(missing.ExitCode != 0 || missing.Stdout.StartsWith("run ", StringComparison.Ordinal), missing.Output);
    }

    [Fact]
    public async Task Exec_prints_output_returns_the_exit_code_and_reads_stdin()
    {
        await RunPodAsync("logger", LoggerPod);
        Assert.Equal("hi\n", await Ok("exec", "logger", "--", "echo", "hi"));

        Kubectl.Result failed = await node.KubectlAsync("exec", "logger", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, failed.ExitCode);
        Assert.Equal("out\n", failed.Stdout);
        Assert.Contains("err", failed.Stderr, StringComparison.Ordinal);

        // kubectl 1.32 speaks v5.channel.k8s.io over WebSocket first (it logs "RemoteCommand fallback" at -v=4 when
        // it has to drop to SPDY); v5's close signal is what ends `tr`'s input here.
        Kubectl.Result piped = await Kubectl.RunAsync(node.Kubeconfig, ["exec", "-v=4", "-i", "logger", "--", "sh", "-c", "tr a-z A-Z"], "hello stdin\n");
        Assert.True(piped.ExitCode == 0, piped.Output);
        Assert.Equal("HELLO STDIN\n", piped.Stdout);
        Assert.DoesNotContain("fallback", piped.Stderr, StringComparison.OrdinalIgnoreCase);
        Kubectl.Result overWebSocket = await node.KubectlAsync("exec", "-v=4", "logger", "--", "sh", "-c", "echo ws; echo err >&2; exit 5");
        Assert.Equal((5, "ws\n"), (overWebSocket.ExitCode, overWebSocket.Stdout));
        Assert.Contains("err", overWebSocket.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("fallback", overWebSocket.Stderr, StringComparison.OrdinalIgnoreCase);

        Kubectl.Result nope = await node.KubectlAsync("exec", "logger", "-c", "nope", "--", "true");
        Assert.NotEqual(0, nope.ExitCode);
    }

    [Fact]
    public async Task Cp_copies_a_file_into_and_out_of_the_pod()
    {
        await RunPodAsync("logger", LoggerPod);
        string dir = Directory.CreateTempSubdirectory("navarch-cp-").FullName;
        try
        {
            byte[] content = new byte[200_000];
            Random.Shared.NextBytes(content);
            string source = Path.Combine(dir, "in.bin"), back = Path.Combine(dir, "out.bin");
            await File.WriteAllBytesAsync(source, content);
            await Ok("cp", source, "default/logger:/tmp/in.bin");
            Assert.Equal("200000", (await Ok("exec", "logger", "--", "sh", "-c", "wc -c < /tmp/in.bin")).Trim());
            await Ok("cp", "default/logger:/tmp/in.bin", back);
            Assert.Equal(content, await File.ReadAllBytesAsync(back));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Port_forward_reaches_httpd_in_the_pod()
    {
        await RunPodAsync("web", """
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: httpd
                image: busybox:1.35
                command: ["sh", "-c", "mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"]
            """);
        // -v=4: kubectl logs "fallback to secondary dialer" when its SPDY-over-WebSocket tunnel is refused. ":8080":
        // kubectl binds a free local port itself and says which.
        using Process forward = StartKubectl(redirectInput: false, "port-forward", "-v=4", "pod/web", ":8080", "--address", "127.0.0.1");
        Task<string> diagnostics = forward.StandardError.ReadToEndAsync();
        try
        {
            string? first = await forward.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Match forwarding = Forwarding().Match(first ?? "");
            Assert.True(forwarding.Success, first);
            int port = int.Parse(forwarding.Groups[1].Value, CultureInfo.InvariantCulture);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            for (int i = 0; i < 3; i++)
            {
                try
                {
                    Assert.Equal("hello from web\n", await http.GetStringAsync($"http://127.0.0.1:{port}/"));
                }
                catch (HttpRequestException e)
                {
                    forward.Kill();
                    Assert.Fail($"request {i} through kubectl port-forward failed ({e.Message}); kubectl said: {await diagnostics}");
                }
            }
        }
        finally
        {
            forward.Kill();
            await forward.WaitForExitAsync();
        }

        Assert.DoesNotContain("fallback", await diagnostics, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Attach_sends_stdin_to_the_main_process_and_streams_its_output()
    {
        await RunPodAsync("reader", """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                stdin: true
                command: ["sh", "-c", "while read l; do echo got $l; done"]
            """);
        // stdin stays open while the output is awaited: closing it ends the attach session, possibly before the echo.
        using Process attach = StartKubectl(redirectInput: true, "attach", "-i", "reader");
        try
        {
            await attach.StandardInput.WriteLineAsync("ping");
            await attach.StandardInput.FlushAsync();
            string? line;
            do
            {
                line = await attach.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            while (line is not null && !line.Contains("got ping", StringComparison.Ordinal));
            Assert.Equal("got ping", line);
        }
        finally
        {
            attach.Kill();
            await attach.WaitForExitAsync();
        }

        Assert.Contains("got ping", await Ok("logs", "reader"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CSharp_client_exec_over_websocket_returns_output_and_exit_code()
    {
        await RunPodAsync("logger", LoggerPod);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(node.Kubeconfig));
        string stdout = "", stderr = "";
        int code = await client.NamespacedPodExecAsync("logger", "default", "logger", ["sh", "-c", "echo from-csharp; echo oops >&2; exit 4"], false, async (_, output, error) =>
        {
            Task<string> e = new StreamReader(error).ReadToEndAsync();
            stdout = await new StreamReader(output).ReadToEndAsync();
            stderr = await e;
        }, CancellationToken.None);
        Assert.Equal(4, code);
        Assert.Equal("from-csharp\n", stdout);
        Assert.Equal("oops\n", stderr);
    }

    [Fact]
    public async Task A_v5_websocket_exec_with_a_tty_is_resized_and_ends_with_its_status()
    {
        await RunPodAsync("logger", LoggerPod);
        KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(node.Kubeconfig);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.AddSubProtocol("v5.channel.k8s.io");
        socket.Options.ClientCertificates.Add(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData)),
            System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData))));
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(config.SslCaCerts);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 served && chain.Build(served);
        };
        var uri = new Uri(config.Host.Replace("https://", "wss://", StringComparison.Ordinal).TrimEnd('/') +
            "/api/v1/namespaces/default/pods/logger/exec?command=sh&command=-c&command=read%20l%3B%20for%20i%20in%201%202%203%204%205%206%207%208%209%2010%3B%20do%20s%3D%24%28stty%20size%202%3E%2Fdev%2Fnull%29%3B%20%5B%20%22%24s%22%20%3D%20%2245%20123%22%20%5D%20%26%26%20break%3B%20sleep%200.2%3B%20done%3B%20echo%20size%3D%24s&stdin=true&stdout=true&tty=true");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, timeout.Token);
        Assert.Equal("v5.channel.k8s.io", socket.SubProtocol);

        await socket.SendAsync("\u0004{\"Width\":123,\"Height\":45}"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Binary, true, timeout.Token);
        await socket.SendAsync("\u0000go\n"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Binary, true, timeout.Token);
        Dictionary<byte, string> channels = await Navarch.Testing.ChannelSocket.ReadToCloseAsync(socket, timeout.Token);

        // The resize reaches the terminal asynchronously, so the script polls its size for up to 2 s.
        Assert.Contains("size=45 123", channels.GetValueOrDefault((byte)1, ""), StringComparison.Ordinal);
        Assert.Contains("\"status\":\"Success\"", channels.GetValueOrDefault((byte)3, ""), StringComparison.Ordinal);
        Assert.False(channels.ContainsKey(2), "a tty has no separate stderr");
    }

    [GeneratedRegex("^Forwarding from 127\\.0\\.0\\.1:([0-9]+) -> 8080")]
    private static partial Regex Forwarding();

    [GeneratedRegex(@"line (\d+)")]
    private static partial Regex LineNumber();

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) line \d+\n$")]
    private static partial Regex Stamped();
}
