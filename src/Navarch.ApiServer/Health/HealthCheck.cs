namespace Navarch.ApiServer.Health;

/// <summary>
/// One named check of <c>/livez</c>, <c>/readyz</c> or <c>/healthz</c> (k8s.io/apiserver's <c>healthz.HealthChecker</c>):
/// <paramref name="Check"/> returns null when healthy, or why not.
/// </summary>
internal sealed record HealthCheck(string Name, Func<CancellationToken, Task<string?>> Check)
{
    private static readonly Task<string?> Healthy = Task.FromResult<string?>(null);

    /// <summary>A check that always passes (<c>ping</c>, <c>log</c>).</summary>
    public static HealthCheck Ping(string name) => new(name, _ => Healthy);

    /// <summary>A post-start hook's check: "not finished" until <paramref name="done"/> says so, as kube-apiserver's.</summary>
    public static HealthCheck PostStartHook(string hook, Func<bool> done) =>
        new("poststarthook/" + hook, _ => Task.FromResult(done() ? null : "not finished"));
}
