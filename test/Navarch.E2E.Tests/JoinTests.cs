using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Navarch.E2E.Tests;

/// <summary>
/// `navarch agent --server --token` against `navarch server`: the CA checked against the token's hash, kubelet
/// certificates signed by the server, the Node registered, credentials reused on restart, wrong tokens refused.
/// </summary>
public sealed class JoinTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private string ServerUrl => File.ReadAllLines(server.Kubeconfig).Select(l => l.Trim()).First(l => l.StartsWith("server: ", StringComparison.Ordinal))["server: ".Length..];

    private string ServerToken => File.ReadAllText(Path.Combine(server.DataDir, "server", "token")).Trim();

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_server_keeps_a_k10_token_with_the_hash_of_its_ca()
    {
        string token = ServerToken;
        Assert.Matches("^K10[0-9a-f]{64}::server:[0-9a-f]{32}$", token);
        using HttpClient http = Insecure();
        byte[] bundle = await http.GetByteArrayAsync(new Uri(ServerUrl + "/cacerts"));
        Assert.Equal(token[3..67], Convert.ToHexStringLower(SHA256.HashData(bundle)));
        string ca = File.ReadAllText(Path.Combine(server.DataDir, "server", "tls", "server-ca.crt")).Trim();
        Assert.Equal(ca, Encoding.ASCII.GetString(bundle).Trim());
    }

    [Trait("Category", "Node")]
    [Fact]
    public async Task An_agent_joins_with_the_server_token_registers_its_node_and_reuses_its_credentials()
    {
        string node = "join-" + Guid.NewGuid().ToString("N")[..8];
        DirectoryInfo dataDir = Directory.CreateTempSubdirectory("navarch-agent-");
        try
        {
            string agentDir = Path.Combine(dataDir.FullName, "agent");
            string[] args = ["agent", "--server", ServerUrl, "--token", ServerToken, "--node-name", node, "--data-dir", dataDir.FullName, "--bridge-name", BridgeOf(node), "--log-format", "json", "--disable-kube-proxy", "--disable-network-policy", "--port", Navarch.Testing.FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)];
            await using (NavarchCli agent = NavarchCli.Start(args))
            {
                await WaitForAsync(async () => (await server.KubectlAsync("get", "node", node)).ExitCode == 0, agent, "the node to register");
                await WaitForAsync(() => Task.FromResult(agent.Stdout.Contains($"Kubelet of node {node} running", StringComparison.Ordinal)), agent, "the kubelet to run");
                int exit = await agent.StopAsync();
                Assert.True(exit == 0, $"agent exit code {exit}: {agent.Stderr} {string.Join("\n", agent.Stdout.Split('\n').TakeLast(15))}");

                // Every log line is one JSON object.
                string[] lines = agent.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.NotEmpty(lines);
                Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
                Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString() == $"Joined {ServerUrl} as node {node}");
            }

            using X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(agentDir, "server-ca.crt")));
            using X509Certificate2 client = X509Certificate2.CreateFromPemFile(Path.Combine(agentDir, "client-kubelet.crt"), Path.Combine(agentDir, "client-kubelet.key"));
            Assert.Equal($"CN=system:node:{node}, O=system:nodes", client.Subject);
            Assert.True(ChainsTo(client, ca));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(agentDir, "client-kubelet.key")));
            using X509Certificate2 serving = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(agentDir, "serving-kubelet.crt")));
            Assert.Contains(node, serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
            Assert.Contains(IPAddress.Loopback, serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
            Assert.Contains("1.3.6.1.5.5.7.3.1", serving.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));

            // The agent's kubeconfig is a working credential of its own.
            Kubectl.Result own = await Kubectl.RunAsync(Path.Combine(agentDir, "kubelet.kubeconfig"), "get", "node", node, "-o", "name");
            Assert.True(own.ExitCode == 0, own.Output);
            Assert.Equal($"node/{node}", own.Stdout.Trim());

            // It is a node's credential: the Node authorizer gives it no Secrets and no other Nodes.
            Kubectl.Result secrets = await Kubectl.RunAsync(Path.Combine(agentDir, "kubelet.kubeconfig"), "get", "secrets", "-A");
            Assert.True(secrets.ExitCode != 0, secrets.Output);
            Assert.Contains($"User \"system:node:{node}\" cannot list resource \"secrets\"", secrets.Output, StringComparison.Ordinal);

            // The proxy has an identity of its own, system:kube-proxy, with system:node-proxier's reads.
            using X509Certificate2 proxy = X509Certificate2.CreateFromPemFile(Path.Combine(agentDir, "client-kube-proxy.crt"), Path.Combine(agentDir, "client-kube-proxy.key"));
            Assert.Equal("CN=system:kube-proxy", proxy.Subject);
            Kubectl.Result nodes = await Kubectl.RunAsync(Path.Combine(agentDir, "kubeproxy.kubeconfig"), "get", "nodes", "-o", "name");
            Assert.True(nodes.ExitCode == 0, nodes.Output);
            Assert.True((await Kubectl.RunAsync(Path.Combine(agentDir, "kubeproxy.kubeconfig"), "get", "secrets")).ExitCode != 0);

            // A restart reuses the stored certificate instead of joining again.
            string before = File.ReadAllText(Path.Combine(agentDir, "client-kubelet.crt"));
            await using (NavarchCli again = NavarchCli.Start(args))
            {
                await WaitForAsync(() => Task.FromResult(again.Stdout.Contains($"Kubelet of node {node} running", StringComparison.Ordinal)), again, "the restarted kubelet to run");
                Assert.Contains("Reusing the kubelet credentials", again.Stdout, StringComparison.Ordinal);
                await again.StopAsync();
            }

            Assert.Equal(before, File.ReadAllText(Path.Combine(agentDir, "client-kubelet.crt")));

            // A serving certificate past its rotation deadline (the CA is minutes old, so: one that ends in seconds) is
            // renewed through a kubelet-serving CSR of the node's own, auto-approved and signed for the Node's name and
            // InternalIP. (The client certificate's renewal is in the controllers' tests: a join replaces one with less
            // than a day left.)
            NearExpiry(Path.Combine(agentDir, "serving-kubelet"), $"CN=system:node:{node}, O=system:nodes", "1.3.6.1.5.5.7.3.1");
            await using (NavarchCli renewing = NavarchCli.Start(args))
            {
                await WaitForAsync(() => Task.FromResult(renewing.Stdout.Contains("Certificate serving-kubelet: rotated", StringComparison.Ordinal)), renewing, "the serving certificate to be rotated");
                await renewing.StopAsync();
            }

            using X509Certificate2 renewed = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(agentDir, "serving-kubelet.crt"));
            Assert.True(renewed.NotAfter > DateTime.UtcNow.AddDays(300));
            Assert.True(ChainsTo(renewed, ca));
            Assert.Equal([node], renewed.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
            string csrs = (await server.KubectlAsync("get", "csr", "-o", "custom-columns=S:.spec.signerName,U:.spec.username,C:.status.conditions[*].type", "--no-headers")).Stdout;
            Assert.Matches($"kubernetes.io/kubelet-serving +system:node:{node} +Approved", csrs);
        }
        finally
        {
            await TestProcesses.TearDownAsync(dataDir.FullName, BridgeOf(node));
            dataDir.Delete(recursive: true);
        }
    }

    /// <summary>A test agent's own pod bridge (an agent without one would take the default navarch0 and leave it behind).</summary>
    internal static string BridgeOf(string node) => "nvj" + node[^6..];

    /// <summary>Replaces the pair at <paramref name="path"/> with one the cluster CA signed when it was made, ending in 20 seconds (past 90% of its life).</summary>
    private void NearExpiry(string path, string subject, string usage)
    {
        string tls = Path.Combine(server.DataDir, "server", "tls");
        using X509Certificate2 ca = X509Certificate2.CreateFromPemFile(Path.Combine(tls, "server-ca.crt"), Path.Combine(tls, "server-ca.key"));
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(subject, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid(usage)], false));
        using X509Certificate2 cert = request.Create(ca, ca.NotBefore, DateTimeOffset.UtcNow.AddSeconds(20), [1, 2, 3, 4]);
        File.WriteAllText(path + ".key", key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(path + ".crt", cert.ExportCertificatePem());
    }

    [Trait("Category", "Integration")]
    [Theory]
    [InlineData("K10{zeros}::server:{secret}", "token CA hash does not match the server's CA")]
    [InlineData("{hash}::server:0123456789abcdef0123456789abcdef", "401: token rejected")]
    [InlineData("{hash}::abcdef.0123456789abcdef", "401: token rejected")]
    [InlineData("{secret}", "--insecure-skip-ca-verify")]
    public async Task A_wrong_token_is_refused_with_a_clear_message(string template, string message)
    {
        string token = ServerToken;
        string text = template.Replace("{zeros}", new string('0', 64), StringComparison.Ordinal)
            .Replace("{hash}", token[..67], StringComparison.Ordinal)
            .Replace("{secret}", token[(token.IndexOf("::", StringComparison.Ordinal) + 2)..], StringComparison.Ordinal);
        await AssertJoinRefusedAsync(text, message);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_bootstrap_token_signs_until_it_expires_or_is_deleted()
    {
        string token = await CreateTokenAsync("--ttl", "1h");
        string node = "boot-" + Guid.NewGuid().ToString("N")[..8];
        using HttpClient http = Insecure();

        // The join endpoint signs for a valid bootstrap token; the API accepts it as system:bootstrap:<id>.
        (HttpStatusCode signed, string body) = await RequestClientCertificateAsync(http, token, node);
        Assert.True(signed == HttpStatusCode.OK, body);
        using (X509Certificate2 cert = X509Certificate2.CreateFromPem(body))
        {
            Assert.Equal($"CN=system:node:{node}, O=system:nodes", cert.Subject);
        }

        Assert.Equal(HttpStatusCode.Created, await WhoAmIWithBearerAsync(http, token));
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIWithBearerAsync(http, token[..^1] + (token[^1] == 'a' ? 'b' : 'a')));

        // An expiration in the past is refused, at the join endpoint and at the API.
        string id = token[(token.IndexOf("::", StringComparison.Ordinal) + 2)..].Split('.')[0];
        Kubectl.Result patched = await server.KubectlAsync("patch", "secret", "-n", "kube-system", "bootstrap-token-" + id, "--type=merge",
            "-p", "{\"data\":{\"expiration\":\"" + Convert.ToBase64String("2020-01-01T00:00:00Z"u8) + "\"}}");
        Assert.True(patched.ExitCode == 0, patched.Output);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RequestClientCertificateAsync(http, token, node)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIWithBearerAsync(http, token));
        await AssertJoinRefusedAsync(token, "401: token rejected");

        // A token that lives two seconds stops working on its own.
        string brief = await CreateTokenAsync("--ttl", "2s");
        await Eventually(async () => await WhoAmIWithBearerAsync(http, brief) != HttpStatusCode.Created, "a 2s token stops authenticating", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));

        Assert.Equal(HttpStatusCode.Unauthorized, (await RequestClientCertificateAsync(http, brief, node)).Status);
    }

    private async Task<string> CreateTokenAsync(params string[] extra)
    {
        Kubectl.Result created = await NavarchCli.RunAsync(["token", "create", "--kubeconfig", server.Kubeconfig, .. extra]);
        Assert.True(created.ExitCode == 0, created.Output);
        string token = created.Stdout.Trim();
        Assert.Equal(ServerToken[..67], token[..67]);
        return token;
    }

    private async Task AssertJoinRefusedAsync(string token, string message)
    {
        DirectoryInfo dataDir = Directory.CreateTempSubdirectory("navarch-agent-");
        try
        {
            Kubectl.Result result = await NavarchCli.RunAsync(["agent", "--server", ServerUrl, "--token", token, "--node-name", "refused", "--data-dir", dataDir.FullName]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dataDir.FullName, "agent", "kubelet.kubeconfig")));
        }
        finally
        {
            KillLeftovers(dataDir.FullName);
            dataDir.Delete(recursive: true);
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> RequestClientCertificateAsync(HttpClient http, string token, string node)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=anything-the-agent-asks", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ServerUrl + "/v1-navarch/client-kubelet")) { Content = new StringContent(csr) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Navarch-Node-Name", node);
        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Asks the API who the token's bearer is (a SelfSubjectReview: any authenticated user may, so under RBAC this
    /// tells authenticated, 201, from not, 401, whatever the user may do otherwise).
    /// </summary>
    private async Task<HttpStatusCode> WhoAmIWithBearerAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ServerUrl + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
        {
            Content = new StringContent("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token[(token.IndexOf("::", StringComparison.Ordinal) + 2)..]);
        using HttpResponseMessage response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static bool ChainsTo(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    private static Task WaitForAsync(Func<Task<bool>> condition, NavarchCli process, string what) =>
        Eventually(
            async () =>
            {
                Assert.False(process.HasExited, $"navarch exited while waiting for {what}: {process.Stderr}{process.Stdout}");
                return await condition();
            },
            what,
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(250),
            () => Task.FromResult(process.Stderr + process.Stdout));

    /// <summary>A containerd this test's agent started and left behind (only if the agent died before stopping it).</summary>
    internal static void KillLeftovers(string dataDir)
    {
        foreach (string proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(dataDir, StringComparison.Ordinal))
                {
                    using Process leftover = Process.GetProcessById(int.Parse(Path.GetFileName(proc), System.Globalization.CultureInfo.InvariantCulture));
                    leftover.Kill();
                    leftover.WaitForExit();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
            }
        }
    }

    private static HttpClient Insecure() =>
        new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
}
