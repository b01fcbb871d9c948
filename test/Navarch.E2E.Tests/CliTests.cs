using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>The navarch command line against a running server: tokens, kubectl, check-config, config layering, examples.</summary>
public sealed class CliTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    [Trait("Category", "Integration")]
    [Fact]
    public async Task Token_create_list_delete_round_trip()
    {
        string description = "ci-" + Guid.NewGuid().ToString("N")[..6];
        Kubectl.Result created = await NavarchCli.RunAsync(["token", "create", "--kubeconfig", server.Kubeconfig, "--ttl", "2h", "--description", description]);
        Assert.True(created.ExitCode == 0, created.Output);
        Assert.Matches("^K10[0-9a-f]{64}::[a-z0-9]{6}\\.[a-z0-9]{16}$", created.Stdout.Trim());
        string bootstrap = created.Stdout.Trim()[69..];
        string id = bootstrap[..6];

        Kubectl.Result secret = await server.KubectlAsync("get", "secret", "-n", "kube-system", "bootstrap-token-" + id, "-o", "jsonpath={.type} {.data.token-secret}");
        Assert.Equal($"bootstrap.kubernetes.io/token {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(bootstrap[7..]))}", secret.Stdout);

        Kubectl.Result list = await NavarchCli.RunAsync(["token", "list", "--kubeconfig", server.Kubeconfig]);
        Assert.True(list.ExitCode == 0, list.Output);
        Assert.StartsWith("TOKEN", list.Stdout, StringComparison.Ordinal);
        string row = list.Stdout.Split('\n').Single(l => l.StartsWith(bootstrap, StringComparison.Ordinal));
        Assert.Matches("^[a-z0-9.]+ +(1h|2h) +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +authentication,signing +" + description + " +system:bootstrappers:navarch:default-node-token$", row);

        Kubectl.Result deleted = await NavarchCli.RunAsync(["token", "delete", id, "--kubeconfig", server.Kubeconfig]);
        Assert.True(deleted.ExitCode == 0, deleted.Output);
        Assert.Contains($"bootstrap token \"{id}\" deleted", deleted.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(bootstrap, (await NavarchCli.RunAsync(["token", "list", "--kubeconfig", server.Kubeconfig])).Stdout, StringComparison.Ordinal);

        Kubectl.Result again = await NavarchCli.RunAsync(["token", "delete", id, "--kubeconfig", server.Kubeconfig]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not found", again.Stderr, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Settings_come_from_the_config_file_and_the_environment()
    {
        string dir = Directory.CreateTempSubdirectory("navarch-cli-").FullName;
        try
        {
            string config = Path.Combine(dir, "config.yaml");
            await File.WriteAllTextAsync(config, $"kubeconfig: {server.Kubeconfig}\nttl: 5h\n");
            Kubectl.Result fromFile = await NavarchCli.RunAsync(["token", "create", "--config", config]);
            Assert.True(fromFile.ExitCode == 0, fromFile.Output);
            Assert.Matches("^(4h|5h)$", await TtlOfAsync(fromFile.Stdout.Trim()));

            // The environment beats the file, and a flag beats the environment.
            var environment = new Dictionary<string, string?> { ["NAVARCH_CONFIG_FILE"] = config, ["NAVARCH_TTL"] = "3h" };
            Kubectl.Result fromEnvironment = await NavarchCli.RunAsync(["token", "create"], environment);
            Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.Output);
            Assert.Matches("^(2h|3h)$", await TtlOfAsync(fromEnvironment.Stdout.Trim()));
            Kubectl.Result fromFlag = await NavarchCli.RunAsync(["token", "create", "--ttl", "90m"], environment);
            Assert.Matches("^(1h|89m)$", await TtlOfAsync(fromFlag.Stdout.Trim()));

            Kubectl.Result missing = await NavarchCli.RunAsync(["token", "list", "--config", Path.Combine(dir, "nope.yaml")]);
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("nope.yaml does not exist", missing.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_server_refuses_a_token_made_for_another_ca()
    {
        string dir = Directory.CreateTempSubdirectory("navarch-cli-").FullName;
        try
        {
            Kubectl.Result result = await NavarchCli.RunAsync(["server", "--disable-agent", "--data-dir", dir, "--https-listen-port", "0", "--bind-address", "127.0.0.1", "--token", "K10" + new string('0', 64) + "::server:abc"]);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--token carries the hash of another cluster CA", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_server_whose_port_is_taken_stops_with_a_one_line_error()
    {
        string dir = Directory.CreateTempSubdirectory("navarch-cli-").FullName;
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        int taken = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        try
        {
            Kubectl.Result result = await NavarchCli.RunAsync(["server", "--disable-agent", "--data-dir", dir, "--https-listen-port", taken.ToString(), "--bind-address", "127.0.0.1"]);
            Assert.Equal(1, result.ExitCode);
            string error = result.Stderr.Trim();
            Assert.DoesNotContain('\n', error);
            Assert.StartsWith("navarch server: ", error, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{taken}", error, StringComparison.Ordinal);
            Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Navarch_kubectl_passes_arguments_and_exit_codes_through()
    {
        // The kubeconfig is named: a kubeconfig left on this machine (/etc/navarch/navarch.yaml from scripts/up.sh) would
        // win over NAVARCH_DATA_DIR's. Which one is used without KUBECONFIG is Navarch.Cli.Tests' KubectlCommandTests.
        var environment = new Dictionary<string, string?> { ["KUBECONFIG"] = server.Kubeconfig };
        Kubectl.Result nodes = await NavarchCli.RunAsync(["kubectl", "get", "nodes"], environment);
        Assert.True(nodes.ExitCode == 0, nodes.Output);
        Kubectl.Result namespaces = await NavarchCli.RunAsync(["kubectl", "get", "ns", "kube-system", "-o", "jsonpath={.metadata.name}"], environment);
        Assert.Equal("kube-system", namespaces.Stdout.Trim());

        // kubectl's own flags and exit codes are untouched.
        Kubectl.Result missing = await NavarchCli.RunAsync(["kubectl", "get", "configmap", "no-such-thing", "-n", "default"], environment);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("\"no-such-thing\" not found", missing.Stderr, StringComparison.Ordinal);
        Kubectl.Result version = await NavarchCli.RunAsync(["kubectl", "version", "--client", "-o", "json"], environment);
        Assert.Contains("clientVersion", version.Stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Node")]
    [Fact]
    public async Task Check_config_prints_a_line_per_prerequisite_and_fails_only_on_required_ones()
    {
        Kubectl.Result result = await NavarchCli.RunAsync(["check-config"]);
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "cgroups", "iptables", "iptables-restore", "net.ipv4.ip_forward", "br_netfilter", "containerd", "runc", "cni-plugins", "kubectl" })
        {
            Assert.Single(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $"^(PASS|WARN|FAIL)  {System.Text.RegularExpressions.Regex.Escape(name)}: "));
        }

        bool failed = lines.Any(l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Equal(failed ? 1 : 0, result.ExitCode);
        Assert.Equal(failed ? "STATUS:" : "STATUS: pass", lines[^1][..(failed ? 7 : 12)]);

        // This machine has what the agent needs (see host-notes): the kubelet tests run containers here.
        Assert.Contains(lines, l => l.StartsWith("PASS  containerd: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("PASS  cni-plugins: ", StringComparison.Ordinal));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Every_command_has_help_for_every_flag()
    {
        foreach (string[] command in new[] { new[] { "server" }, ["agent"], ["token", "create"], ["token", "list"], ["token", "delete"], ["check-config"], ["controller-manager"], ["scheduler"], ["secrets-encrypt", "status"], ["secrets-encrypt", "reencrypt"] })
        {
            Kubectl.Result help = await NavarchCli.RunAsync([.. command, "--help"]);
            Assert.True(help.ExitCode == 0, help.Output);
            Assert.Contains("--log-format", help.Stdout, StringComparison.Ordinal);
            Assert.Contains("--config", help.Stdout, StringComparison.Ordinal);
            string[] options = help.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("Options:", StringComparison.Ordinal)).Skip(1)
                .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(options);

            // An option line without a description would end right after the option's name and argument.
            Assert.All(options.Where(l => l.TrimStart().StartsWith('-')), l => Assert.Matches("^\\s+-\\S.*\\S\\s{2,}\\S", l));
        }
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_examples_are_accepted_by_the_server()
    {
        string examples = Path.Combine(RepoRoot(), "examples");
        Kubectl.Result result = await server.KubectlAsync("apply", "--dry-run=server", "-f", examples);
        Assert.True(result.ExitCode == 0, result.Output);
        foreach (string created in new[] { "deployment.apps/web", "service/web", "job.batch/countdown", "cronjob.batch/clock", "daemonset.apps/node-reporter", "configmap/app-config", "secret/app-secret", "pod/app-config" })
        {
            Assert.Contains($"{created} created (server dry run)", result.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(5, Directory.GetFiles(examples, "*.yaml").Length);
    }

    private async Task<string> TtlOfAsync(string token)
    {
        string bootstrap = token[(token.IndexOf("::", StringComparison.Ordinal) + 2)..];
        Kubectl.Result list = await NavarchCli.RunAsync(["token", "list", "--kubeconfig", server.Kubeconfig]);
        return list.Stdout.Split('\n').Single(l => l.StartsWith(bootstrap, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Navarch.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        return dir.FullName;
    }
}
