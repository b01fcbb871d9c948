using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api.Cel;
using Navarch.Client;

namespace Navarch.Controllers.ValidatingAdmissionPolicyStatus;

/// <summary>
/// apiserver's ValidatingAdmissionPolicy TypeChecker (admission/plugin/policy/validating/typechecking.go): the kinds the
/// policy's matchConstraints name (no wildcards, no subresources, at most ten, sorted by group, version and kind) are
/// resolved through discovery and their schemas read from the server's <c>/openapi/v3</c>; each validation's expression
/// and messageExpression is checked with <c>object</c> and <c>oldObject</c> typed by each kind (and <c>params</c> by
/// the paramKind), and the issues found become one warning per expression, "<c>group/version, Kind=Kind: issues</c>".
/// What is checked is what <see cref="CelSchemaTypeCheck"/> checks: field selections, not operand types.
/// </summary>
internal sealed class PolicyTypeChecker(RawApi api)
{
    private const int MaxTypesToCheck = 10;

    /// <summary>The warnings for <paramref name="policy"/>; empty when none.</summary>
    public async Task<IReadOnlyList<V1ExpressionWarning>> CheckAsync(V1ValidatingAdmissionPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var documents = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        var types = new List<(string Gvk, JsonObject Schema)>();
        foreach ((string group, string version, string kind) in await KindsToCheckAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            if (await SchemaAsync(group, version, kind, documents, cancellationToken).ConfigureAwait(false) is { } schema)
            {
                types.Add(($"{group}/{version}, Kind={kind}", schema));
            }
        }

        JsonObject? paramSchema = null;
        if (policy.Spec?.ParamKind is { ApiVersion: { Length: > 0 } apiVersion, Kind: { Length: > 0 } paramKind })
        {
            (string group, string version) = SplitApiVersion(apiVersion);
            paramSchema = await SchemaAsync(group, version, paramKind, documents, cancellationToken).ConfigureAwait(false);
        }

        var warnings = new List<V1ExpressionWarning>();
        IList<V1Validation> validations = policy.Spec?.Validations ?? [];
        for (int i = 0; i < validations.Count; i++)
        {
            Add(warnings, $"spec.validations[{i}].expression", validations[i].Expression, types, paramSchema);
            if (!string.IsNullOrEmpty(validations[i].MessageExpression))
            {
                Add(warnings, $"spec.validations[{i}].messageExpression", validations[i].MessageExpression, types, paramSchema);
            }
        }

        return warnings;
    }

    private static void Add(
        List<V1ExpressionWarning> warnings, string fieldRef, string expression, List<(string Gvk, JsonObject Schema)> types, JsonObject? paramSchema)
    {
        var results = new List<string>();
        foreach ((string gvk, JsonObject schema) in types)
        {
            var schemas = new Dictionary<string, JsonObject>(StringComparer.Ordinal) { ["object"] = schema, ["oldObject"] = schema };
            if (paramSchema is not null)
            {
                schemas["params"] = paramSchema;
            }

            // A schema's $refs point into the document it came from (the kind's and the paramKind's may differ).
            string? issues = CelSchemaTypeCheck.Check(expression, schemas, s => s.Root is JsonObject root ? Dereference(s, root) : []);
            if (issues is not null)
            {
                results.Add($"{gvk}: {issues}\n");
            }
        }

        if (results.Count > 0)
        {
            warnings.Add(new V1ExpressionWarning { FieldRef = fieldRef, Warning = string.Join('\n', results) });
        }
    }

    /// <summary>typesToCheck: the kinds of the (group, version, resource)s the resource rules name, without wildcards.</summary>
    private async Task<List<(string Group, string Version, string Kind)>> KindsToCheckAsync(V1ValidatingAdmissionPolicy policy, CancellationToken cancellationToken)
    {
        var kinds = new SortedSet<(string Group, string Version, string Kind)>();
        var discovered = new Dictionary<string, Dictionary<string, string>?>(StringComparer.Ordinal);
        foreach (V1NamedRuleWithOperations rule in policy.Spec?.MatchConstraints?.ResourceRules ?? [])
        {
            List<string> groups = [.. rule.ApiGroups ?? []];
            List<string> versions = [.. rule.ApiVersions ?? []];
            if (groups.Count == 0 || versions.Count == 0 || groups.Any(g => g.Contains('*', StringComparison.Ordinal)) || versions.Any(v => v.Contains('*', StringComparison.Ordinal)))
            {
                continue;
            }

            List<string> resources = [.. (rule.Resources ?? []).Where(r => r.IndexOfAny(['*', '/']) < 0)];
            foreach (string group in groups.Order(StringComparer.Ordinal))
            {
                foreach (string version in versions.Order(StringComparer.Ordinal))
                {
                    string groupVersion = group.Length == 0 ? version : group + "/" + version;
                    if (!discovered.TryGetValue(groupVersion, out Dictionary<string, string>? byResource))
                    {
                        discovered[groupVersion] = byResource = await DiscoverAsync(groupVersion, cancellationToken).ConfigureAwait(false);
                    }

                    foreach (string resource in resources.Order(StringComparer.Ordinal))
                    {
                        if (byResource?.GetValueOrDefault(resource) is { } kind)
                        {
                            kinds.Add((group, version, kind));
                            if (kinds.Count == MaxTypesToCheck)
                            {
                                return [.. kinds];
                            }
                        }
                    }
                }
            }
        }

        return [.. kinds];
    }

    private async Task<Dictionary<string, string>?> DiscoverAsync(string groupVersion, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await api.SendAsync(HttpMethod.Get, (groupVersion.Contains('/', StringComparison.Ordinal) ? "/apis/" : "/api/") + groupVersion, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await RawApi.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        using JsonDocument list = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
        var byResource = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonElement r in list.RootElement.GetProperty("resources").EnumerateArray())
        {
            byResource.TryAdd(r.GetProperty("name").GetString() ?? "", r.GetProperty("kind").GetString() ?? "");
        }

        return byResource;
    }

    /// <summary>The schema of a kind in its group version's OpenAPI v3 document (the one whose x-kubernetes-group-version-kind names it).</summary>
    private async Task<JsonObject?> SchemaAsync(
        string group, string version, string kind, Dictionary<string, JsonObject?> documents, CancellationToken cancellationToken)
    {
        string path = group.Length == 0 ? "/openapi/v3/api/" + version : $"/openapi/v3/apis/{group}/{version}";
        if (!documents.TryGetValue(path, out JsonObject? document))
        {
            using HttpResponseMessage response = await api.SendAsync(HttpMethod.Get, path, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                document = null;
            }
            else
            {
                await RawApi.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
                document = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)) as JsonObject;
            }

            documents[path] = document;
        }

        if (document?["components"]?["schemas"] is not JsonObject schemas)
        {
            return null;
        }

        foreach ((string _, JsonNode? schema) in schemas)
        {
            if (schema is JsonObject candidate && candidate["x-kubernetes-group-version-kind"] is JsonArray gvks
                && gvks.Any(g => (string?)g?["group"] == group && (string?)g?["version"] == version && (string?)g?["kind"] == kind))
            {
                return candidate;
            }
        }

        return null;
    }

    // "#/components/schemas/<name>" within the same document; an unknown reference is dynamic (an empty schema).
    private static JsonObject Dereference(JsonObject schema, JsonObject document)
    {
        const string Prefix = "#/components/schemas/";
        return (string?)schema["$ref"] is { } reference && reference.StartsWith(Prefix, StringComparison.Ordinal)
            && document["components"]?["schemas"]?[reference[Prefix.Length..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)] is JsonObject target
            ? target
            : [];
    }

    private static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }
}
