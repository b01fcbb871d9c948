using Navarch.ApiServer.Admission.PodSecurity.Checks;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>Every control of the Pod Security Standards this server enforces (pod-security-admission's DefaultChecks).</summary>
internal static class PodSecurityChecks
{
    public static IReadOnlyList<Check> All { get; } =
    [
        AppArmorProfileCheck.Check,
        CapabilitiesBaselineCheck.Check,
        HostNamespacesCheck.Check,
        HostPathVolumesCheck.Check,
        HostPortsCheck.Check,
        PrivilegedCheck.Check,
        ProcMountCheck.Check,
        SeLinuxOptionsCheck.Check,
        SeccompProfileBaselineCheck.Check,
        SysctlsCheck.Check,
        WindowsHostProcessCheck.Check,
        AllowPrivilegeEscalationCheck.Check,
        CapabilitiesRestrictedCheck.Check,
        RestrictedVolumesCheck.Check,
        RunAsNonRootCheck.Check,
        RunAsUserCheck.Check,
        SeccompProfileRestrictedCheck.Check,
    ];
}
