using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>A check of a pod's metadata and spec (a pod, or the template of a workload).</summary>
internal delegate CheckResult CheckPod(V1ObjectMeta metadata, V1PodSpec spec);

/// <summary>
/// One control of the Pod Security Standards (pod-security-admission's <c>policy.Check</c>): the level it belongs to
/// and its revisions, each applying from a policy version until the next. A restricted revision may override baseline
/// checks it covers, so a restricted namespace reports one violation, not two.
/// </summary>
internal sealed record Check(string Id, Level Level, IReadOnlyList<VersionedCheck> Versions);

/// <summary>A revision of a check, from <paramref name="MinimumVersion"/> on.</summary>
internal sealed record VersionedCheck(PolicyVersion MinimumVersion, CheckPod CheckPod, IReadOnlyList<string>? OverrideCheckIds = null);
