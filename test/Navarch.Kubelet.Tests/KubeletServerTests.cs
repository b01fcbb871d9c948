using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.Pki;
using Navarch.Client.Informers;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Server;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet's HTTPS API: who may use it (only the API server's kubelet-client certificate from the cluster CA),
/// and, on a real kubelet with containerd, /pods, /stats/summary and /containerLogs with previous.
/// </summary>
public sealed class KubeletServerTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-kubelet-api-");

    public void Dispose() => _dir.Delete(recursive: true);

    internal static HttpClient Client(int port, X509Certificate2? certificate, ClusterPki pki)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificates = certificate is null ? null : [certificate],
                // The kubelet's serving certificate must chain to the cluster CA, as the API server's proxy requires.
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && pki.IsSignedByCa(c),
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Only_the_api_servers_kubelet_client_certificate_is_served()
    {
        ClusterPki pki = ClusterPki.LoadOrCreate(Path.Combine(_dir.FullName, "pki"), IPAddress.Parse("10.43.0.1"));
        ClusterPki other = ClusterPki.LoadOrCreate(Path.Combine(_dir.FullName, "other"), IPAddress.Parse("10.43.0.1"));
        using var cri = new CriConnection(Path.Combine(_dir.FullName, "no-runtime.sock"));

        await using StandaloneKubeletServer kubelet = await StandaloneKubeletServer.StartAsync(pki, _dir.FullName, cri.Runtime);
        KubeletOptions options = kubelet.Options;
        int port = options.KubeletPort;

        var refused = new (string Who, X509Certificate2? Cert, HttpStatusCode Code)[]
        {
            ("no certificate", null, HttpStatusCode.Unauthorized),
            ("self-signed system:apiserver", SelfSigned("CN=system:apiserver, O=system:masters"), HttpStatusCode.Unauthorized),
            ("another cluster's API server", other.KubeletClient, HttpStatusCode.Unauthorized),
            ("the cluster admin", pki.Admin, HttpStatusCode.Forbidden),
            ("another component", pki.IssueClient("system:kube-scheduler", null), HttpStatusCode.Forbidden),
        };
        foreach ((string who, X509Certificate2? cert, HttpStatusCode code) in refused)
        {
            using HttpClient client = Client(port, cert, pki);
            using HttpResponseMessage response = await client.GetAsync("/healthz");
            Assert.True(code == response.StatusCode, $"{who}: {response.StatusCode}");
            using JsonDocument status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
            Assert.Equal((int)code, status.RootElement.GetProperty("code").GetInt32());
        }

        using HttpClient apiServer = Client(port, pki.KubeletClient, pki);
        Assert.Equal("ok", await apiServer.GetStringAsync("/healthz"));
        V1PodList pods = KubernetesJson.Deserialize<V1PodList>(await apiServer.GetStringAsync("/pods"));
        Assert.Equal("PodList", pods.Kind);
        Assert.Empty(pods.Items);
        using HttpResponseMessage unknownPath = await apiServer.GetAsync("/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknownPath.StatusCode);
        using HttpResponseMessage unknownPod = await apiServer.GetAsync("/containerLogs/default/missing/main");
        Assert.Equal(HttpStatusCode.NotFound, unknownPod.StatusCode);
        using HttpResponseMessage badQuery = await apiServer.GetAsync("/containerLogs/default/missing/main?tailLines=-1");
        Assert.Equal(HttpStatusCode.BadRequest, badQuery.StatusCode);

        // A port already taken is an IOException, which the kubelet logs and survives (its pods keep running).
        await using var second = new KubeletServer(options, cri.Runtime, new Indexer<V1Pod>(), NullLoggerFactory.Instance);
        await Assert.ThrowsAsync<IOException>(() => second.StartAsync(CancellationToken.None));
        Assert.Equal("ok", await apiServer.GetStringAsync("/healthz"));
    }

    [Trait("Category", "Node")]
    [Fact]
    public async Task Serves_pods_stats_and_previous_logs_of_a_restarting_container()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        ClusterPki pki = node.Api.Server.Pki;
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "restarter", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = node.Options.NodeName,
                TerminationGracePeriodSeconds = 1,
                Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sh", "-c", "echo run $(cat /proc/sys/kernel/random/uuid); sleep 2; exit 1"] }],
            },
        };
        await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        using HttpClient kubelet = Client(node.Options.KubeletPort, pki.KubeletClient, pki);

        string first = await KubeletNode.WaitAsync(async () =>
        {
            using HttpResponseMessage r = await kubelet.GetAsync("/containerLogs/default/restarter/main");
            string text = await r.Content.ReadAsStringAsync();
            return r.IsSuccessStatusCode && text.StartsWith("run ", StringComparison.Ordinal) ? text : null;
        }, "the first run's log");
        using (HttpResponseMessage none = await kubelet.GetAsync("/containerLogs/default/restarter/main?previous=true"))
        {
            // Until the first restart there is no previous run (unless the restart already happened).
            string body = await none.Content.ReadAsStringAsync();
            Assert.True(none.StatusCode == HttpStatusCode.BadRequest ? body.Contains("previous terminated container", StringComparison.Ordinal) : body == first, body);
        }

        V1PodList pods = KubernetesJson.Deserialize<V1PodList>(await kubelet.GetStringAsync("/pods"));
        Assert.Contains(pods.Items, p => p.Metadata.Name == "restarter");

        using (JsonDocument summary = JsonDocument.Parse(await kubelet.GetStringAsync("/stats/summary")))
        {
            Assert.Equal(node.Options.NodeName, summary.RootElement.GetProperty("node").GetProperty("nodeName").GetString());
            Assert.Contains(summary.RootElement.GetProperty("pods").EnumerateArray(), p => p.GetProperty("podRef").GetProperty("name").GetString() == "restarter");

            // The node is the whole machine (the test host's own processes at least), never less than its pods.
            JsonElement nodeStats = summary.RootElement.GetProperty("node");
            ulong podsCpu = summary.RootElement.GetProperty("pods").EnumerateArray().Aggregate(0UL, (sum, p) => sum + p.GetProperty("cpu").GetProperty("usageCoreNanoSeconds").GetUInt64());
            Assert.True(nodeStats.GetProperty("cpu").GetProperty("usageCoreNanoSeconds").GetUInt64() > podsCpu);
            Assert.True(nodeStats.GetProperty("memory").GetProperty("workingSetBytes").GetUInt64() > 64UL << 20);
        }

        string resource = await kubelet.GetStringAsync("/metrics/resource");
        Assert.Matches(@"\ncontainer_cpu_usage_seconds_total\{container=""main"",namespace=""default"",pod=""restarter""\} [0-9.e+-]+ [0-9]{13}\n", resource);
        Assert.Matches(@"\nnode_memory_working_set_bytes [0-9.e+]+ [0-9]{13}\n", resource);
        Assert.Contains("\nresource_scrape_error 0\n", resource, StringComparison.Ordinal);

        // cAdvisor's families for the same container, labelled as cAdvisor labels it (its cgroup under containerd's k8s.io).
        string cadvisor = await kubelet.GetStringAsync("/metrics/cadvisor");
        Match series = Regex.Match(cadvisor, @"\ncontainer_cpu_usage_seconds_total\{container=""main"",cpu=""total"",id=""/k8s\.io/([0-9a-f]{64})"",image=""[^""]+"",name=""\1"",namespace=""default"",pod=""restarter""\} [0-9.e+-]+ [0-9]{13}\n");
        Assert.True(series.Success, cadvisor);
        Assert.True(Directory.Exists("/sys/fs/cgroup/cpu/k8s.io/" + series.Groups[1].Value) || Directory.Exists("/sys/fs/cgroup/k8s.io/" + series.Groups[1].Value), "the id label is the container's cgroup");
        Assert.Matches(@"\ncontainer_memory_working_set_bytes\{container=""main"",id=""/k8s\.io/[0-9a-f]{64}"",image=""[^""]+"",name=""[0-9a-f]{64}"",namespace=""default"",pod=""restarter""\} [0-9.e+]+ [0-9]{13}\n", cadvisor);
        Assert.Matches(@"\ncontainer_start_time_seconds\{container=""main"",.*pod=""restarter""\} [0-9.e+]+ [0-9]{13}\n", cadvisor);
        Assert.Matches(@"\ncontainer_memory_working_set_bytes\{container="""",id=""/"",image="""",name="""",namespace="""",pod=""""\} [0-9.e+]+ [0-9]{13}\n", cadvisor);
        Assert.Matches(@"\nmachine_cpu_cores\{boot_id=""[^""]*"",machine_id=""[^""]*"",system_uuid=""[^""]*""\} [1-9][0-9]*\n", cadvisor);
        Assert.Contains("\ncontainer_scrape_error 0\n", cadvisor, StringComparison.Ordinal);

        string previous = await KubeletNode.WaitAsync(async () =>
        {
            using HttpResponseMessage r = await kubelet.GetAsync("/containerLogs/default/restarter/main?previous=true");
            string text = await r.Content.ReadAsStringAsync();
            return r.IsSuccessStatusCode ? text : null;
        }, "a previous run after the restart", 60);
        Assert.Matches("^run [0-9a-f-]{36}\n$", previous);
        // The first restart is immediate: the new run's log may still be empty for a moment.
        string current = await KubeletNode.WaitAsync(async () =>
        {
            string text = await kubelet.GetStringAsync("/containerLogs/default/restarter/main");
            return text.Length > 0 ? text : null;
        }, "the second run's log");
        Assert.Matches("^run [0-9a-f-]{36}\n$", current);
        Assert.NotEqual(previous, current);
        Assert.Equal(first, previous);

        await client.CoreV1.DeleteNamespacedPodAsync("restarter", "default");
        await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Count == 0 ? "gone" : null, "pod deleted");
    }

    [Trait("Category", "Node")]
    [Fact]
    public async Task Exec_over_a_v5_websocket_is_carried_to_the_runtime_and_closes_stdin_on_the_close_signal()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        ClusterPki pki = node.Api.Server.Pki;
        await node.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "shell", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = node.Options.NodeName,
                TerminationGracePeriodSeconds = 0,
                Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sleep", "3600"] }],
            },
        }, "default");
        await KubeletNode.WaitAsync(async () => (await node.Client.CoreV1.ReadNamespacedPodAsync("shell", "default")).Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running, "pod running");

        async Task<Dictionary<byte, string>> ExecAsync(string script, params byte[][] messages)
        {
            using var socket = new System.Net.WebSockets.ClientWebSocket();
            socket.Options.AddSubProtocol("v5.channel.k8s.io");
            socket.Options.ClientCertificates.Add(pki.KubeletClient);
            socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && pki.IsSignedByCa(c);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{node.Options.KubeletPort}/exec/default/shell/main?command=sh&command=-c&command={Uri.EscapeDataString(script)}&input=1&output=1&error=1"), timeout.Token);
            Assert.Equal("v5.channel.k8s.io", socket.SubProtocol);
            foreach (byte[] message in messages)
            {
                await socket.SendAsync(message, System.Net.WebSockets.WebSocketMessageType.Binary, true, timeout.Token);
            }

            return await ChannelSocket.ReadToCloseAsync(socket, timeout.Token);
        }

        Dictionary<byte, string> upper = await ExecAsync("tr a-z A-Z; echo done >&2", [0, .. "hello v5\n"u8], [255, 0]);
        Assert.Equal("HELLO V5\n", upper.GetValueOrDefault((byte)1));
        Assert.Equal("done\n", upper.GetValueOrDefault((byte)2));
        Assert.Contains("\"status\":\"Success\"", upper.GetValueOrDefault((byte)3), StringComparison.Ordinal);

        Dictionary<byte, string> failed = await ExecAsync("exit 7", [255, 0]);
        using JsonDocument status = JsonDocument.Parse(failed[3]);
        Assert.Equal("NonZeroExitCode", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal("7", status.RootElement.GetProperty("details").GetProperty("causes")[0].GetProperty("message").GetString());
    }
}
