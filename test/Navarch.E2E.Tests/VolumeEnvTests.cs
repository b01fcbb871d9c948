using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>
/// The real kubectl against `navarch server` with a `navarch agent` (its own containerd, in a temp data dir): a pod
/// consuming a ConfigMap and a Secret made with kubectl, as env variables and as files. The pod uses the host
/// network so no bridge is created; the test deletes the pod, stops the agent by PID (SIGTERM) and unmounts
/// anything left under its data dir.
/// </summary>
[Trait("Category", "Node")]
public sealed class VolumeEnvTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private const string PodManifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: consumer
        spec:
          nodeName: NODE
          hostNetwork: true
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox:1.35
            command: ["sh", "-c", "echo GREETING=$GREETING; echo TOKEN=$TOKEN; echo FILE=$(cat /etc/config/greeting); echo SECRETFILE=$(cat /etc/secret/token); sleep 3600"]
            env:
            - name: GREETING
              valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: app-secret, key: token}}
            volumeMounts:
            - {name: config, mountPath: /etc/config}
            - {name: secret, mountPath: /etc/secret}
          volumes:
          - name: config
            configMap: {name: app-config}
          - name: secret
            secret: {secretName: app-secret}
        """;

    private async Task<string> Ok(params string[] args)
    {
        Kubectl.Result r = await server.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    [Fact]
    public async Task A_pod_consumes_a_ConfigMap_and_a_Secret_as_env_and_files()
    {
        Assert.True(Environment.UserName == "root", "the agent runs containerd and must run as root");
        string suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        string node = "e2e-" + suffix;
        string dataDir = Path.Combine("/tmp", "nve2e-" + suffix);
        await BuildImagesAsync(Path.Combine(dataDir, "agent", "images"));
        Process agent = Start("agent", "--kubeconfig", server.Kubeconfig, "--node-name", node, "--data-dir", dataDir, "--bridge-name", "nve" + suffix, "--disable-kube-proxy", "--disable-network-policy", "--port", Navarch.Testing.FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await Ok("create", "configmap", "app-config", "--from-literal=greeting=hello");
            await Ok("create", "secret", "generic", "app-secret", "--from-literal=token=t0ken");
            await WaitAsync(async () => (await server.KubectlAsync("get", "node", node)).ExitCode == 0, "the agent's Node");
            Kubectl.Result applied = await server.KubectlWithInputAsync(PodManifest.Replace("NODE", node, StringComparison.Ordinal), "apply", "-f", "-");
            Assert.True(applied.ExitCode == 0, applied.Output);
            await Ok("wait", "--for=condition=Ready", "pod/consumer", "--timeout=120s");

            string uid = await Ok("get", "pod", "consumer", "-o", "jsonpath={.metadata.uid}");
            string log = Path.Combine(dataDir, "agent", "pods", $"default_consumer_{uid}", "main", "0.log");
            await WaitAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("SECRETFILE=", StringComparison.Ordinal)), "the pod's output");
            string text = File.ReadAllText(log);
            Assert.Contains("GREETING=hello", text, StringComparison.Ordinal);
            Assert.Contains("TOKEN=t0ken", text, StringComparison.Ordinal);
            Assert.Contains("FILE=hello", text, StringComparison.Ordinal);
            Assert.Contains("SECRETFILE=t0ken", text, StringComparison.Ordinal);
            string describe = await Ok("describe", "pod", "consumer");
            Assert.Contains("app-config", describe, StringComparison.Ordinal);

            await Ok("delete", "pod", "consumer", "--timeout=60s");
            Assert.Empty(MountsUnder(Path.Combine(dataDir, "agent", "pods")));
        }
        finally
        {
            await server.KubectlAsync("delete", "pod", "consumer", "--ignore-not-found", "--timeout=60s");
            await StopAsync(agent);
            await TestProcesses.TearDownAsync(dataDir, "nve" + suffix);
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static List<string> MountsUnder(string root) =>
        [.. File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(root + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length)];

    private static Task WaitAsync(Func<Task<bool>> probe, string what, int seconds = 90) =>
        Eventually(probe, what, TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(250));

    /// <summary>The pause image (from catatonit) and busybox, built with `navarch images build-builtin` into the agent's air-gap folder.</summary>
    private static async Task BuildImagesAsync(string images)
    {
        Kubectl.Result built = await NavarchCli.RunAsync(["images", "build-builtin", "--output", images]);
        Assert.True(built.ExitCode == 0, $"navarch images build-builtin failed: {built.Output}");
        Assert.Contains("registry.k8s.io/pause:3.10 sha256:", built.Stdout, StringComparison.Ordinal);
        Assert.Contains("docker.io/library/busybox:1.35 sha256:", built.Stdout, StringComparison.Ordinal);
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }.Isolated();
        start.ArgumentList.Add(NavarchServer.FindBinary());
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process p = Process.Start(start)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>SIGTERM, so the agent stops its containerd; SIGKILL only if it does not exit.</summary>
    private static async Task StopAsync(Process agent)
    {
        if (!agent.HasExited)
        {
            Run("kill", "-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await agent.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                agent.Kill();
                await agent.WaitForExitAsync();
            }
        }

        agent.Dispose();
    }

    private static void Run(string file, params string[] args)
    {
        using Process? p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true });
        p?.WaitForExit();
    }
}
