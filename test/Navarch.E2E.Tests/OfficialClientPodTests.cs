using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// Logs and exec of a running pod through the official Python and JavaScript clients, unchanged (test/compat's pods
/// scenarios), against `navarch server` with its kubelet and containerd.
/// </summary>
[Trait("Category", "Node")]
public sealed class OfficialClientPodTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    [Theory]
    [InlineData("python", "pods.py")]
    [InlineData("javascript", "pods.mjs")]
    public async Task Logs_and_exec_with_exit_codes(string client, string script)
    {
        await OfficialClientScenarios.EnsureInstalledAsync();
        (int code, string output) = await OfficialClientScenarios.RunAsync(client, script, node.Kubeconfig, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"test/compat/{client}/{script} exited {code}:\n{output}");
        Assert.EndsWith("ok", output.TrimEnd(), StringComparison.Ordinal);
    }
}
