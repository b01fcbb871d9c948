using Navarch.Api;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// What a namespace asks for in each mode (pod-security-admission's <c>api.Policy</c>): enforce refuses pods, audit
/// records violations for the audit log, warn returns them to the client as warnings.
/// </summary>
internal sealed record Policy(LevelVersion Enforce, LevelVersion Audit, LevelVersion Warn)
{
    /// <summary>The prefix of every Pod Security label and audit annotation.</summary>
    public const string LabelPrefix = "pod-security.kubernetes.io/";

    /// <summary>privileged:latest in every mode: what a namespace gets without labels or configured defaults.</summary>
    public static Policy Privileged { get; } = new(LevelVersion.PrivilegedLatest, LevelVersion.PrivilegedLatest, LevelVersion.PrivilegedLatest);

    /// <summary>
    /// The policy of a namespace with <paramref name="labels"/>, each mode falling back to <paramref name="defaults"/>,
    /// and the errors of labels that do not parse. A policy is returned even with errors: an unparsable enforce level
    /// is taken as restricted (fail closed), unparsable audit and warn levels as privileged (fail open), and an
    /// unparsable version as latest, as Kubernetes does.
    /// </summary>
    public static (Policy Policy, IReadOnlyList<FieldError> Errors) FromLabels(IDictionary<string, string>? labels, Policy defaults)
    {
        var errors = new List<FieldError>();
        if (labels is null || labels.Count == 0)
        {
            return (defaults, errors);
        }

        LevelVersion enforce = Mode(labels, "enforce", defaults.Enforce, Level.Restricted, errors);
        LevelVersion audit = Mode(labels, "audit", defaults.Audit, Level.Privileged, errors);
        LevelVersion warn = Mode(labels, "warn", defaults.Warn, Level.Privileged, errors);
        return (new Policy(enforce, audit, warn), errors);
    }

    private static LevelVersion Mode(IDictionary<string, string> labels, string mode, LevelVersion fallback, Level onError, List<FieldError> errors)
    {
        LevelVersion result = fallback;
        string levelKey = LabelPrefix + mode;
        if (labels.TryGetValue(levelKey, out string? levelValue))
        {
            Level? level = Levels.Parse(levelValue);
            result = result with { Level = level ?? onError };
            if (level is null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, $"metadata.labels[{levelKey}]", levelValue, Levels.Invalid));
            }
        }

        string versionKey = levelKey + "-version";
        if (labels.TryGetValue(versionKey, out string? versionValue))
        {
            PolicyVersion? version = PolicyVersion.Parse(versionValue);
            result = result with { Version = version ?? PolicyVersion.Latest };
            if (version is null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, $"metadata.labels[{versionKey}]", versionValue, PolicyVersion.Invalid));
            }
        }

        return result;
    }
}
