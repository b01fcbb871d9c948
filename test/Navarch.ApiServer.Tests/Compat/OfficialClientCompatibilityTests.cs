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

    /// <summary>Debian's python3 (the one python3-kubernetes installs for), not a python3 earlier on PATH.</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Python_client(string scenario) => PassesAsync("/usr/bin/python3", $"{scenario}.py", "python");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task JavaScript_client(string scenario) => PassesAsync("node", $"{scenario}.mjs", "javascript");

    private async Task PassesAsync(string program, string script, string directory)
    {
        (int code, string output) = await fixture.RunScenarioAsync(program, script, directory);
        Assert.True(code == 0, $"test/compat/{directory}/{script} exited {code}:\n{output}");
        Assert.EndsWith("ok", output.TrimEnd(), StringComparison.Ordinal);
    }
}
