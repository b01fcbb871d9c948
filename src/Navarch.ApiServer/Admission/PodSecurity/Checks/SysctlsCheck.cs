using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Baseline: only the namespaced, isolated "safe" sysctls may be set (spec.securityContext.sysctls[*].name); the safe
/// set grew in v1.27, v1.29 and v1.32 with the kubelet's.
/// </summary>
internal static class SysctlsCheck
{
    private static readonly string[] Safe1Dot0 =
    [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
    ];

    private static readonly string[] Safe1Dot27 = [.. Safe1Dot0, "net.ipv4.ip_local_reserved_ports"];

    private static readonly string[] Safe1Dot29 = [.. Safe1Dot27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];

    private static readonly string[] Safe1Dot32 = [.. Safe1Dot29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

    public static Check Check { get; } = new("sysctls", Level.Baseline,
    [
        new VersionedCheck(PolicyVersion.V1(0), Allowing(Safe1Dot0)),
        new VersionedCheck(PolicyVersion.V1(27), Allowing(Safe1Dot27)),
        new VersionedCheck(PolicyVersion.V1(29), Allowing(Safe1Dot29)),
        new VersionedCheck(PolicyVersion.V1(32), Allowing(Safe1Dot32)),
    ]);

    internal static CheckPod Allowing(IReadOnlyCollection<string> safe)
    {
        var allowed = new HashSet<string>(safe, StringComparer.Ordinal);
        return (metadata, spec) =>
        {
            var forbidden = (spec.SecurityContext?.Sysctls ?? []).Select(s => s.Name).Where(n => !allowed.Contains(n)).ToList();
            return forbidden.Count == 0 ? CheckResult.Pass : CheckResult.Fail("forbidden sysctls", string.Join(", ", forbidden));
        };
    }
}
