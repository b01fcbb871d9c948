using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// <c>navarch certificate generate-ca</c> and <c>rotate-ca</c> (k3s's) on a real <c>navarch server</c>: refused for bad
/// CA files (one line, exit 1, nothing changed); while it runs, staged and installed at its restart; once rotated and restarted, the server is issued
/// under the new CA, the rewritten kubeconfig works, and a kubeconfig that trusts only the old CA with an old client
/// certificate still works (the cross-signed CA goes with the serving certificate), as does a node's credential
/// issued at join before the rotation; the join token and <c>/cacerts</c> carry the new trust bundle. A real agent
/// joined before the rotation (Node tier) keeps renewing its node's lease with the restarted server.
/// </summary>
public sealed class CaRotationTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-rotateca-");
    private readonly int _port = FreePort.Next();
    private NavarchCli? _server;

    private string DataDir => Path.Combine(_dir.FullName, "data");

    private string Tls => Path.Combine(DataDir, "server", "tls");

    private string KubeconfigPath => Path.Combine(_dir.FullName, "kubeconfig.yaml");

    private string TokenPath => Path.Combine(DataDir, "server", "token");

    public Task InitializeAsync() => StartServerAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _dir.Delete(recursive: true);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_rotated_ca_issues_the_server_while_old_clients_and_nodes_keep_working()
    {
        // Before: a copy of the kubeconfig (trusting the old CA alone, with the old admin certificate) and a node's credential from the join endpoint.
        string oldKubeconfig = Path.Combine(_dir.FullName, "old.kubeconfig");
        File.Copy(KubeconfigPath, oldKubeconfig);
        string oldToken = (await File.ReadAllTextAsync(TokenPath)).Trim();
        string nodeKubeconfig = await NodeKubeconfigAsync(oldKubeconfig, oldToken, "rotateca-node");
        await AssertWhoAmIAsync(nodeKubeconfig, "system:node:rotateca-node");
        using X509Certificate2 oldCa = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "server-ca.crt"));

        string newCa = Path.Combine(_dir.FullName, "new-ca");
        Kubectl.Result generated = await NavarchCli.RunAsync(["certificate", "generate-ca", "--data-dir", DataDir, "--path", newCa]);
        Assert.True(generated.ExitCode == 0, generated.Output);
        Assert.Equal(PrivateFolder, File.GetUnixFileMode(newCa));
        Assert.All(Directory.GetFiles(newCa), f => Assert.Equal(PrivateFile, File.GetUnixFileMode(f)));

        await _server!.StopAsync();

        // Refused for bad CA files, each with one line and nothing changed.
        await AssertRefusedAsync(["--path", Path.Combine(_dir.FullName, "nothing-here")], "must hold server-ca.crt and server-ca.key");
        await AssertRefusedAsync(["--path", BadCa("wrong-key", (crt, _) => crt, (_, other) => other)], "is not the key of");
        await AssertRefusedAsync(["--path", BadCa("not-a-ca", (_, _) => Path.Combine(Tls, "client-admin.crt"), (_, _) => Path.Combine(Tls, "client-admin.key"))], "is not a CA certificate");
        await AssertRefusedAsync(["--path", ExpiredCa()], "is not valid now");
        string weakRsa = Path.Combine(_dir.FullName, "weak-rsa");
        using (X509Certificate2 signing = X509Certificate2.CreateFromPemFile(Path.Combine(Tls, "server-ca.crt"), Path.Combine(Tls, "server-ca.key")))
        {
            CustomCa.WriteRsa(weakRsa, 1024, signing, DateTimeOffset.UtcNow).Dispose();
        }

        await AssertRefusedAsync(["--path", weakRsa], "has an RSA key of 1024 bits");
        string notCrossSigned = Path.Combine(_dir.FullName, "not-cross-signed");
        Assert.Equal(0, (await NavarchCli.RunAsync(["certificate", "generate-ca", "--data-dir", Path.Combine(_dir.FullName, "no-data"), "--path", notCrossSigned])).ExitCode);
        await AssertRefusedAsync(["--path", notCrossSigned], "server-ca-cross-signed.crt is missing");
        await AssertRefusedAsync(["--path", Tls], "has the key of the current cluster CA");

        Kubectl.Result rotated = await NavarchCli.RunAsync(["certificate", "rotate-ca", "--data-dir", DataDir, "--path", newCa]);
        Assert.True(rotated.ExitCode == 0, rotated.Output);
        string newToken = (await File.ReadAllTextAsync(TokenPath)).Trim();
        Assert.NotEqual(oldToken[..67], newToken[..67]);
        Assert.Equal(oldToken[67..], newToken[67..]);
        Assert.Contains(newToken, rotated.Stdout, StringComparison.Ordinal);
        Assert.Equal(PrivateFolder, File.GetUnixFileMode(Tls));
        Assert.All(Directory.GetFiles(Tls), f => Assert.Equal(PrivateFile, File.GetUnixFileMode(f)));
        Assert.Equal(File.ReadAllText(Path.Combine(newCa, "server-ca.crt")).Trim(), File.ReadAllText(Path.Combine(Tls, "server-ca.crt")).Trim());
        Assert.Equal(oldCa.ExportCertificatePem(), File.ReadAllText(Path.Combine(Tls, "server-ca-previous.crt")).Trim());

        // The kubeconfig the restarted server writes, not the one before.
        File.Delete(KubeconfigPath);
        await StartServerAsync();
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "server-ca.crt"));
        foreach (string leaf in new[] { "serving-kube-apiserver", "client-admin", "client-kube-apiserver" })
        {
            using X509Certificate2 issued = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, leaf + ".crt"));
            Assert.Equal(ca.Subject, issued.Issuer);
        }

        // The rewritten kubeconfig trusts both CAs and carries an admin certificate of the new CA.
        string kubeconfig = await File.ReadAllTextAsync(KubeconfigPath);
        Assert.Equal(2, Regex.Count(CaData(kubeconfig), "BEGIN CERTIFICATE"));
        await AssertWhoAmIAsync(KubeconfigPath, "system:admin");

        // The old kubeconfig (old CA only, old admin certificate) and the node's old credential still work.
        await AssertWhoAmIAsync(oldKubeconfig, "system:admin");
        await AssertWhoAmIAsync(nodeKubeconfig, "system:node:rotateca-node");

        // The join token hashes the bundle /cacerts serves (new CA, then old); a node joining now gets a certificate of the new CA.
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        byte[] bundle = await http.GetByteArrayAsync(new Uri($"https://127.0.0.1:{_port}/cacerts"));
        Assert.Equal(newToken[3..67], Convert.ToHexStringLower(SHA256.HashData(bundle)));
        Assert.Equal(ca.ExportCertificatePem() + "\n" + oldCa.ExportCertificatePem() + "\n", Encoding.ASCII.GetString(bundle));
        string joinedAfter = await NodeKubeconfigAsync(KubeconfigPath, newToken, "rotateca-later");
        await AssertWhoAmIAsync(joinedAfter, "system:node:rotateca-later");

        // Pods get the bundle: kube-root-ca.crt (what a service account token volume's ca.crt is) is updated.
        await Eventually(
            async () => Regex.Count((await Kubectl.RunAsync(KubeconfigPath, "get", "configmap", "kube-root-ca.crt", "-n", "default", "-o", "jsonpath={.data.ca\\.crt}")).Stdout, "BEGIN CERTIFICATE") == 2,
            "kube-root-ca.crt carries the old and the new CA",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(500));

        Kubectl.Result check = await NavarchCli.RunAsync(["certificate", "check", "--data-dir", DataDir]);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("server/tls/server-ca-previous.crt", check.Stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_ca_rotated_while_the_server_runs_takes_effect_at_its_restart()
    {
        string oldKubeconfig = Path.Combine(_dir.FullName, "old.kubeconfig");
        File.Copy(KubeconfigPath, oldKubeconfig);
        string oldToken = (await File.ReadAllTextAsync(TokenPath)).Trim();
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        var cacerts = new Uri($"https://127.0.0.1:{_port}/cacerts");
        string oldBundle = await http.GetStringAsync(cacerts);
        string newCa = Path.Combine(_dir.FullName, "new-ca");
        Assert.Equal(0, (await NavarchCli.RunAsync(["certificate", "generate-ca", "--data-dir", DataDir, "--path", newCa])).ExitCode);

        // Bad files are refused while it runs too, one line, nothing staged.
        await AssertRefusedAsync(["--path", BadCa("wrong-key", (crt, _) => crt, (_, other) => other)], "is not the key of");
        Assert.False(Directory.Exists(Tls + ".pending"));

        Kubectl.Result rotated = await NavarchCli.RunAsync(["certificate", "rotate-ca", "--data-dir", DataDir, "--path", newCa]);
        Assert.True(rotated.ExitCode == 0, rotated.Output);
        Assert.Contains("restart the server to take effect", rotated.Stdout, StringComparison.Ordinal);
        string predicted = Regex.Match(rotated.Stdout, @"the join token will then be (\S+)").Groups[1].Value;
        Assert.Equal(PrivateFolder, File.GetUnixFileMode(Tls + ".pending"));

        // The running server goes on as it was: same bundle, same token, same signing CA.
        Assert.Equal(oldBundle, await http.GetStringAsync(cacerts));
        Assert.Equal(oldToken, (await File.ReadAllTextAsync(TokenPath)).Trim());
        await AssertWhoAmIAsync(oldKubeconfig, "system:admin");

        // Restarted, it serves under the new CA, trusts both, and the token is the one announced.
        await _server!.StopAsync();
        File.Delete(KubeconfigPath);
        await StartServerAsync();
        Assert.False(Directory.Exists(Tls + ".pending"));
        Assert.Equal(File.ReadAllText(Path.Combine(newCa, "server-ca.crt")).Trim(), File.ReadAllText(Path.Combine(Tls, "server-ca.crt")).Trim());
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "server-ca.crt"));
        using X509Certificate2 serving = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "serving-kube-apiserver.crt"));
        Assert.Equal(ca.Subject, serving.Issuer);
        Assert.Equal(predicted, (await File.ReadAllTextAsync(TokenPath)).Trim());
        Assert.Equal(ca.ExportCertificatePem() + "\n" + oldBundle, await http.GetStringAsync(cacerts));
        await AssertWhoAmIAsync(oldKubeconfig, "system:admin");
        await AssertWhoAmIAsync(KubeconfigPath, "system:admin");
    }

    [Trait("Category", "Node")]
    [Fact]
    public async Task An_agent_joined_before_the_rotation_keeps_its_node_going()
    {
        string node = "rotateca-" + Guid.NewGuid().ToString("N")[..6];
        string agentData = Path.Combine(_dir.FullName, "agent-data");
        string token = (await File.ReadAllTextAsync(TokenPath)).Trim();
        await NavarchNode.BuildImagesAsync(Path.Combine(agentData, "agent", "images"));
        try
        {
            await using NavarchCli agent = NavarchCli.Start(["agent", "--server", $"https://127.0.0.1:{_port}", "--token", token, "--node-name", node, "--data-dir", agentData, "--bridge-name", JoinTests.BridgeOf(node), "--disable-kube-proxy", "--disable-network-policy", "--port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await Eventually(
                async () =>
                {
                    Assert.False(agent.HasExited, $"navarch agent exited: {agent.Stderr}{agent.Stdout}");
                    return (await Kubectl.RunAsync(KubeconfigPath, "get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Stdout.Trim() == "True";
                },
                "the joined node is Ready",
                TimeSpan.FromSeconds(90),
                TimeSpan.FromMilliseconds(500));
            await ApplyAsync($$"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: rotateca-logs
                spec:
                  nodeName: {{node}}
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: busybox:1.35
                    command: ["sh", "-c", "echo before-rotation; sleep 3600"]
                """);
            await AssertLogsAndExecAsync("before the rotation");

            await _server!.StopAsync();
            string newCa = Path.Combine(_dir.FullName, "new-ca");
            Assert.Equal(0, (await NavarchCli.RunAsync(["certificate", "generate-ca", "--data-dir", DataDir, "--path", newCa])).ExitCode);
            Kubectl.Result rotated = await NavarchCli.RunAsync(["certificate", "rotate-ca", "--data-dir", DataDir, "--path", newCa]);
            Assert.True(rotated.ExitCode == 0, rotated.Output);
            File.Delete(KubeconfigPath);
            await StartServerAsync();
            DateTimeOffset restarted = DateTimeOffset.UtcNow;

            // The agent, still trusting only the old CA with its old certificate, renews its node's lease with the new server.
            await Eventually(
                async () =>
                {
                    Assert.False(agent.HasExited, $"navarch agent exited: {agent.Stderr}{agent.Stdout}");
                    string renewed = (await Kubectl.RunAsync(KubeconfigPath, "get", "lease", node, "-n", "kube-node-lease", "-o", "jsonpath={.spec.renewTime}")).Stdout.Trim();
                    return DateTimeOffset.TryParse(renewed, System.Globalization.CultureInfo.InvariantCulture, out DateTimeOffset at) && at > restarted;
                },
                "the joined agent renews its lease after the rotation",
                TimeSpan.FromSeconds(90),
                TimeSpan.FromMilliseconds(500));
            Assert.Equal("True", (await Kubectl.RunAsync(KubeconfigPath, "get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Stdout.Trim());
            Assert.Equal(1, Regex.Count(await File.ReadAllTextAsync(Path.Combine(agentData, "agent", "server-ca.crt")), "BEGIN CERTIFICATE"));

            // Its kubelet, still trusting only the old CA, accepts the API server's client certificate of the new CA
            // through the cross-signed CA sent with it: kubectl logs and exec reach the pod.
            Assert.Equal(1, Regex.Count(await File.ReadAllTextAsync(Path.Combine(agentData, "agent", "client-ca.crt")), "BEGIN CERTIFICATE"));
            using (X509Certificate2 kubeletClient = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "client-kube-apiserver.crt")))
            using (X509Certificate2 oldCa = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "server-ca-previous.crt")))
            {
                Assert.NotEqual(oldCa.Subject, kubeletClient.Issuer);
            }

            await AssertLogsAndExecAsync("after the rotation");
            // Deleted through the kubelet (grace 1 s, waited for), so no sandbox outlives the agent.
            Kubectl.Result deleted = await Kubectl.RunAsync(KubeconfigPath, "delete", "pod", "rotateca-logs", "--timeout=60s");
            Assert.True(deleted.ExitCode == 0, deleted.Output);
            Assert.Equal(0, await agent.StopAsync());
        }
        finally
        {
            // The agent's shims, a pod's volumes and network namespace when the test failed before the pod was deleted, its bridge.
            await TestProcesses.TearDownAsync(agentData, JoinTests.BridgeOf(node));
        }
    }

    private async Task ApplyAsync(string yaml)
    {
        string file = Path.Combine(_dir.FullName, Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, yaml);
        Kubectl.Result applied = await Kubectl.RunAsync(KubeconfigPath, "apply", "-f", file);
        Assert.True(applied.ExitCode == 0, applied.Output);
    }

    /// <summary><c>kubectl logs</c> and <c>kubectl exec</c> reach the pod rotateca-logs through its kubelet.</summary>
    private async Task AssertLogsAndExecAsync(string when)
    {
        Kubectl.Result? logs = null;
        await Eventually(
            async () => (logs = await Kubectl.RunAsync(KubeconfigPath, "logs", "rotateca-logs")).ExitCode == 0 && logs.Stdout.Trim() == "before-rotation",
            $"kubectl logs reaches the pod {when}",
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(500),
            () => Task.FromResult(logs?.Output ?? ""));
        Kubectl.Result exec = await Kubectl.RunAsync(KubeconfigPath, "exec", "rotateca-logs", "--", "echo", "exec-ok");
        Assert.True(exec.ExitCode == 0 && exec.Stdout.Trim() == "exec-ok", $"kubectl exec {when}: {exec.Output}");
    }

    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode PrivateFolder = PrivateFile | UnixFileMode.UserExecute;

    private async Task StartServerAsync()
    {
        _server = NavarchCli.Start(["server", "--disable-agent", "--data-dir", DataDir, "--https-listen-port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind-address", "127.0.0.1", "--write-kubeconfig", KubeconfigPath]);
        NavarchCli server = _server;
        await Eventually(
            async () =>
            {
                Assert.False(server.HasExited, $"navarch server exited: {server.Stderr}");
                return File.Exists(KubeconfigPath) && (await Kubectl.RunAsync(KubeconfigPath, "get", "--raw", "/readyz")).ExitCode == 0;
            },
            "navarch server is ready",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(300));
    }

    /// <summary>Runs rotate-ca with <paramref name="args"/>: exit 1, one line naming the problem, and the server's TLS folder and token untouched.</summary>
    private async Task AssertRefusedAsync(string[] args, string message)
    {
        Dictionary<string, string> before = Snapshot();
        Kubectl.Result r = await NavarchCli.RunAsync(["certificate", "rotate-ca", "--data-dir", DataDir, .. args]);
        Assert.True(r.ExitCode == 1, $"rotate-ca {string.Join(' ', args)}: {r.ExitCode} {r.Output}");
        Assert.StartsWith("navarch certificate: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(before, Snapshot());
    }

    private Dictionary<string, string> Snapshot() =>
        Directory.GetFiles(Path.Combine(DataDir, "server"), "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}db{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    /// <summary>A folder with a CA certificate and a key picked from two freshly generated CAs (or any files).</summary>
    private string BadCa(string name, Func<string, string, string> crt, Func<string, string, string> key)
    {
        string a = Path.Combine(_dir.FullName, name + "-a"), b = Path.Combine(_dir.FullName, name + "-b"), dir = Path.Combine(_dir.FullName, name);
        foreach (string folder in new[] { a, b })
        {
            using X509Certificate2 generated = NewCa(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), out string keyPem);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "server-ca.crt"), generated.ExportCertificatePem());
            File.WriteAllText(Path.Combine(folder, "server-ca.key"), keyPem);
        }

        Directory.CreateDirectory(dir);
        File.Copy(crt(Path.Combine(a, "server-ca.crt"), Path.Combine(b, "server-ca.crt")), Path.Combine(dir, "server-ca.crt"));
        File.Copy(key(Path.Combine(a, "server-ca.key"), Path.Combine(b, "server-ca.key")), Path.Combine(dir, "server-ca.key"));
        return dir;
    }

    private string ExpiredCa()
    {
        string dir = Path.Combine(_dir.FullName, "expired");
        Directory.CreateDirectory(dir);
        using X509Certificate2 expired = NewCa(DateTimeOffset.UtcNow.AddYears(-2), DateTimeOffset.UtcNow.AddDays(-1), out string keyPem);
        File.WriteAllText(Path.Combine(dir, "server-ca.crt"), expired.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "server-ca.key"), keyPem);
        return dir;
    }

    private static X509Certificate2 NewCa(DateTimeOffset notBefore, DateTimeOffset notAfter, out string keyPem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=test-ca-{Guid.NewGuid():N}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        keyPem = key.ExportPkcs8PrivateKeyPem();
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>A kubeconfig holding what a node joining with <paramref name="token"/> is given: a kubelet client certificate from the join endpoint, with the trust of <paramref name="trustFrom"/>.</summary>
    private async Task<string> NodeKubeconfigAsync(string trustFrom, string token, string node)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = new CertificateRequest($"CN=system:node:{node}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"https://127.0.0.1:{_port}/v1-navarch/client-kubelet")) { Content = new StringContent(csr) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Navarch-Node-Name", node);
        using HttpResponseMessage response = await http.SendAsync(request);
        string certificate = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, certificate);

        string dir = Path.Combine(_dir.FullName, node);
        Directory.CreateDirectory(dir);
        string crt = Path.Combine(dir, "client.crt"), keyFile = Path.Combine(dir, "client.key"), kubeconfig = Path.Combine(dir, "kubeconfig");
        await File.WriteAllTextAsync(crt, certificate);
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.Copy(trustFrom, kubeconfig);
        Kubectl.Result set = await Kubectl.RunAsync(kubeconfig, "config", "set-credentials", "default", "--client-certificate", crt, "--client-key", keyFile, "--embed-certs");
        Assert.True(set.ExitCode == 0, set.Output);
        return kubeconfig;
    }

    private static async Task AssertWhoAmIAsync(string kubeconfig, string user)
    {
        Kubectl.Result whoami = await Kubectl.RunAsync(kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
        Assert.True(whoami.ExitCode == 0, $"{kubeconfig}: {whoami.Output}");
        Assert.Equal(user, whoami.Stdout.Trim());
    }

    private static string CaData(string kubeconfig) =>
        Encoding.ASCII.GetString(Convert.FromBase64String(kubeconfig.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("certificate-authority-data: ", StringComparison.Ordinal))["certificate-authority-data: ".Length..]));
}
