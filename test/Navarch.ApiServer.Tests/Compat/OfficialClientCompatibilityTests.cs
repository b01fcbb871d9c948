using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Compat;

/// <summary>
/// The official Kubernetes clients other than kubectl and the C# one, unchanged, against a real Navarch API server:
/// each scenario script in test/compat (Debian's python3-kubernetes, npm's @kubernetes/client-node) makes its own
/// assertions and exits non-zero when Navarch answers otherwise than kube-apiserver would.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OfficialClientCompatibilityTests(OfficialClientFixture fixture) : IClassFixture<OfficialClientFixture>
{
    public static TheoryData<string> Scenarios => new() { "crud", "patch", "watch", "list", "status", "errors" };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Python_client(string scenario) => PassesAsync("python", $"{scenario}.py");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task JavaScript_client(string scenario) => PassesAsync("javascript", $"{scenario}.mjs");

    private async Task PassesAsync(string client, string script)
    {
        (int code, string output) = await OfficialClientScenarios.RunAsync(client, script, fixture.Kubeconfig);
        Assert.True(code == 0, $"test/compat/{client}/{script} exited {code}:\n{output}");
        Assert.EndsWith("ok", output.TrimEnd(), StringComparison.Ordinal);
    }
}
