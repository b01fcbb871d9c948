using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Navarch.Api;
using YamlDotNet.Serialization;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// Reads <c>--audit-policy-file</c> (k8s.io/apiserver's policy reader): an audit.k8s.io/v1 Policy in YAML or JSON,
/// validated (<see cref="PolicyValidation"/>) and with at least one rule. Anything wrong is an
/// <see cref="InvalidDataException"/> whose message is Kubernetes', ending in <c>: from file PATH</c>.
/// </summary>
internal static class PolicyReader
{
    private const string ApiVersion = "audit.k8s.io/v1";

    public static Policy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"failed to read file path \"{path}\": {e.Message}", e);
        }

        try
        {
            return Parse(text);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{e.Message}: from file {path}", e);
        }
    }

    public static Policy Parse(string text)
    {
        JsonObject policy;
        try
        {
            policy = JsonSerializer.SerializeToNode(new DeserializerBuilder().Build().Deserialize(new StringReader(text))) as JsonObject
                ?? throw new InvalidDataException("failed decoding: the policy is not an object");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"failed decoding: {e.Message}", e);
        }

        string apiVersion = Text(policy["apiVersion"]);
        string kind = Text(policy["kind"]);
        if (apiVersion.Length == 0 || kind.Length == 0)
        {
            throw new InvalidDataException($"failed decoding: Object '{(kind.Length == 0 ? "Kind" : "apiVersion")}' is missing");
        }

        if (apiVersion != ApiVersion)
        {
            throw new InvalidDataException($"unknown group version field {apiVersion}, Kind={kind} in policy");
        }

        if (kind != "Policy")
        {
            throw new InvalidDataException($"failed decoding: no kind \"{kind}\" is registered for version \"{ApiVersion}\"");
        }

        var errors = new List<FieldError>();
        var rules = new List<PolicyRule>();
        JsonArray ruleNodes = policy["rules"] as JsonArray ?? [];
        for (int i = 0; i < ruleNodes.Count; i++)
        {
            JsonObject rule = ruleNodes[i] as JsonObject ?? [];
            string level = Text(rule["level"]);
            var resources = (rule["resources"] as JsonArray ?? []).Select(r => (Group: Text(r?["group"]), Resources: Strings(r?["resources"]), ResourceNames: Strings(r?["resourceNames"]))).ToList();
            IReadOnlyList<string> nonResourceUrls = Strings(rule["nonResourceURLs"]);
            IReadOnlyList<string> namespaces = Strings(rule["namespaces"]);
            IReadOnlyList<string> omitStages = Strings(rule["omitStages"]);
            List<FieldError> ruleErrors = PolicyValidation.ValidateRule(i, level, nonResourceUrls, [.. resources.Select(r => (r.Group, r.Resources, r.ResourceNames))], namespaces, omitStages).ToList();
            errors.AddRange(ruleErrors);
            if (ruleErrors.Count > 0)
            {
                continue;
            }

            rules.Add(new PolicyRule(
                Enum.Parse<AuditLevel>(level),
                Strings(rule["users"]),
                Strings(rule["userGroups"]),
                Strings(rule["verbs"]),
                [.. resources.Select(r => new GroupResources(r.Group, r.Resources, r.ResourceNames))],
                namespaces,
                nonResourceUrls,
                [.. omitStages.Select(Enum.Parse<AuditStage>)],
                rule["omitManagedFields"] is { } omit ? Bool(omit) : null));
        }

        if (errors.Count > 0)
        {
            // utilerrors.NewAggregate: one error as it is, several in brackets.
            throw new InvalidDataException(errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors) + "]");
        }

        if (rules.Count == 0)
        {
            throw new InvalidDataException("loaded illegal policy with 0 rules");
        }

        // Kubernetes validates the stages of rules only; an unknown policy-wide stage matches no event.
        AuditStage[] policyStages = [.. Strings(policy["omitStages"]).Where(s => PolicyValidation.Stages.Contains(s, StringComparer.Ordinal)).Select(Enum.Parse<AuditStage>)];
        return new Policy(rules, policyStages, policy["omitManagedFields"] is { } all && Bool(all));
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : node?.ToString() ?? "";

    private static IReadOnlyList<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(Text)] : [];

    private static bool Bool(JsonNode node) => Text(node) switch
    {
        "true" or "True" => true,
        "false" or "False" => false,
        var other => throw new InvalidDataException($"failed decoding: cannot unmarshal \"{other}\" into a bool (omitManagedFields)"),
    };
}
