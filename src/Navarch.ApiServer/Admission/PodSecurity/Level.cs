namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>The three Pod Security Standards, from the most permissive (pod-security-admission's <c>api.Level</c>).</summary>
internal enum Level
{
    /// <summary>Unrestricted: no check applies.</summary>
    Privileged,

    /// <summary>Prevents known privilege escalations: host namespaces, privileged containers, added capabilities, ...</summary>
    Baseline,

    /// <summary>Baseline plus hardening: non-root, drop ALL, seccomp, no privilege escalation, restricted volumes.</summary>
    Restricted,
}
