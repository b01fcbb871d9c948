using System.Text.Json.Nodes;
using Navarch.Api;
using Navarch.Api.Validation;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// The PodSecurity plugin's configuration (<c>pod-security.admission.config.k8s.io/v1</c> PodSecurityConfiguration):
/// the policy of namespaces without labels, and the users, runtime classes and namespaces exempt from it.
/// </summary>
internal sealed record PodSecurityConfiguration(Policy Defaults, IReadOnlySet<string> ExemptUsernames, IReadOnlySet<string> ExemptRuntimeClasses, IReadOnlySet<string> ExemptNamespaces)
{
    /// <summary>privileged:latest everywhere, nothing exempt: Kubernetes' defaults.</summary>
    public static PodSecurityConfiguration Default { get; } = new(Policy.Privileged, new HashSet<string>(), new HashSet<string>(), new HashSet<string>());

    /// <summary>The PodSecurity entry of an AdmissionConfiguration file, or the defaults without one.</summary>
    public static PodSecurityConfiguration Load(string? admissionConfigFile) =>
        AdmissionConfiguration.PluginConfiguration(admissionConfigFile, "PodSecurity") is { } node ? Parse(node) : Default;

    /// <summary>
    /// A PodSecurityConfiguration object: unset levels are privileged and unset versions latest; invalid values,
    /// invalid or duplicate exemptions are refused with Kubernetes' field errors.
    /// </summary>
    public static PodSecurityConfiguration Parse(JsonObject node)
    {
        var errors = new List<FieldError>();
        JsonObject defaults = node["defaults"] as JsonObject ?? [];
        LevelVersion Mode(string mode)
        {
            string level = defaults[mode]?.ToString() ?? "privileged";
            string version = defaults[mode + "-version"]?.ToString() ?? "latest";
            Level? l = Levels.Parse(level);
            PolicyVersion? v = PolicyVersion.Parse(version);
            if (l is null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, $"defaults.{mode}", level, Levels.Invalid));
            }

            if (v is null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, $"defaults.{mode}-version", version, PolicyVersion.Invalid));
            }

            return new LevelVersion(l ?? Level.Privileged, v ?? PolicyVersion.Latest);
        }

        var policy = new Policy(Mode("enforce"), Mode("audit"), Mode("warn"));
        JsonObject exemptions = node["exemptions"] as JsonObject ?? [];
        HashSet<string> namespaces = Exemptions(exemptions, "namespaces", n => MetadataValidation.NameProblems(n, NameRule.Label), errors);
        HashSet<string> runtimeClasses = Exemptions(exemptions, "runtimeClasses", n => MetadataValidation.NameProblems(n, NameRule.Subdomain), errors);
        HashSet<string> usernames = Exemptions(exemptions, "usernames", _ => [], errors);
        if (errors.Count > 0)
        {
            throw new InvalidDataException("invalid PodSecurity configuration: " + string.Join(", ", errors));
        }

        return new PodSecurityConfiguration(policy, usernames, runtimeClasses, namespaces);
    }

    private static HashSet<string> Exemptions(JsonObject exemptions, string field, Func<string, IEnumerable<string>> problems, List<FieldError> errors)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        JsonArray values = exemptions[field] as JsonArray ?? [];
        for (int i = 0; i < values.Count; i++)
        {
            string value = values[i]?.ToString() ?? "";
            string path = $"exemptions.{field}[{i}]";
            var bad = value.Length == 0 ? [] : problems(value).ToList();
            if (value.Length == 0)
            {
                errors.Add(new FieldError(FieldErrorType.Required, path, null, ""));
            }
            else if (bad.Count > 0)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, path, value, string.Join(", ", bad)));
            }
            else if (!set.Add(value))
            {
                errors.Add(new FieldError(FieldErrorType.Duplicate, path, value, ""));
            }
        }

        return set;
    }
}
