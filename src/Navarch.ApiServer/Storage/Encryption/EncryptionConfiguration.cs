using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Navarch.Api;
using YamlDotNet.Serialization;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// kube-apiserver's <c>--encryption-provider-config</c>: an <c>apiserver.config.k8s.io/v1</c> EncryptionConfiguration
/// (YAML or JSON) whose rules name resources (<c>secrets</c>, <c>deployments.apps</c>, <c>*.apps</c>, <c>*.</c> for the
/// core group, <c>*.*</c>) and their providers (<c>aescbc</c>, <c>aesgcm</c>, <c>secretbox</c>, <c>identity</c>), validated
/// with Kubernetes' rules and messages. KMS providers are refused: Navarch talks to no KMS plugin.
/// </summary>
internal sealed record EncryptionConfiguration(IReadOnlyList<ResourceConfiguration> Resources)
{
    /// <summary>The configuration's apiVersion.</summary>
    public const string ApiVersion = "apiserver.config.k8s.io/v1";

    private static readonly int[] AesKeySizes = [16, 24, 32];
    private static readonly int[] SecretboxKeySizes = [32];
    private static readonly string[] ProviderTypes = [ProviderConfiguration.AesGcm, ProviderConfiguration.AesCbc, ProviderConfiguration.Secretbox, ProviderConfiguration.Identity, "kms"];

    /// <summary>Reads and validates the file; a problem is an <see cref="InvalidDataException"/> that names it.</summary>
    public static EncryptionConfiguration Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"error opening encryption provider configuration file \"{path}\": {e.Message}", e);
        }

        if (text.Trim().Length == 0)
        {
            throw new InvalidDataException($"encryption provider configuration file \"{path}\" is empty");
        }

        try
        {
            return Parse(text);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"error while parsing encryption provider configuration file \"{path}\": {e.Message}", e);
        }
    }

    /// <summary>Parses and validates YAML or JSON text.</summary>
    public static EncryptionConfiguration Parse(string text)
    {
        JsonObject root;
        try
        {
            object? parsed = new DeserializerBuilder().Build().Deserialize(new StringReader(text));
            root = JsonSerializer.SerializeToNode(parsed) as JsonObject ?? throw new InvalidDataException("not an object");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException(e.Message, e);
        }

        string? kind = Text(root["kind"]), apiVersion = Text(root["apiVersion"]);
        if (kind != "EncryptionConfiguration" || apiVersion != ApiVersion)
        {
            throw new InvalidDataException($"expected kind EncryptionConfiguration of apiVersion {ApiVersion}, got {kind ?? "no kind"} of {apiVersion ?? "no apiVersion"}");
        }

        var errors = new List<FieldError>();
        var rules = new List<ResourceConfiguration>();
        JsonArray resourceRules = root["resources"] as JsonArray ?? [];
        if (resourceRules.Count == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, "resources", null, "at least one resources is required"));
        }

        for (int i = 0; i < resourceRules.Count; i++)
        {
            string path = $"resources[{i}]";
            JsonObject rule = resourceRules[i] as JsonObject ?? [];
            List<string> resources = (rule["resources"] as JsonArray ?? []).Select(r => Text(r) ?? "").ToList();
            if (resources.Count == 0)
            {
                errors.Add(new FieldError(FieldErrorType.Required, path + ".resources", null, $"at least one {path}.resources is required"));
            }

            ValidateResources(resources, path + ".resources", errors);
            JsonArray providerList = rule["providers"] as JsonArray ?? [];
            if (providerList.Count == 0)
            {
                errors.Add(new FieldError(FieldErrorType.Required, path + ".providers", null, $"at least one {path}.providers is required"));
            }

            var providers = new List<ProviderConfiguration>();
            for (int j = 0; j < providerList.Count; j++)
            {
                if (Provider(providerList[j] as JsonObject ?? [], $"{path}.providers[{j}]", errors) is { } provider)
                {
                    providers.Add(provider);
                }
            }

            rules.Add(new ResourceConfiguration(resources, providers));
        }

        if (errors.Count > 0)
        {
            throw new InvalidDataException(string.Join(", ", errors));
        }

        return new EncryptionConfiguration(rules);
    }

    /// <summary>The configuration as the JSON file k3s writes.</summary>
    public string ToJson()
    {
        var resources = new JsonArray();
        foreach (ResourceConfiguration rule in Resources)
        {
            var providers = new JsonArray();
            foreach (ProviderConfiguration provider in rule.Providers)
            {
                JsonObject body = provider.Type == ProviderConfiguration.Identity ? [] : new JsonObject
                {
                    ["keys"] = new JsonArray(provider.Keys.Select(k => (JsonNode)new JsonObject { ["name"] = k.Name, ["secret"] = k.Secret }).ToArray()),
                };
                providers.Add(new JsonObject { [provider.Type] = body });
            }

            resources.Add(new JsonObject { ["resources"] = new JsonArray(rule.Resources.Select(r => (JsonNode)JsonValue.Create(r)).ToArray()), ["providers"] = providers });
        }

        return new JsonObject { ["kind"] = "EncryptionConfiguration", ["apiVersion"] = ApiVersion, ["resources"] = resources }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static ProviderConfiguration? Provider(JsonObject node, string path, List<FieldError> errors)
    {
        string[] present = ProviderTypes.Where(node.ContainsKey).ToArray();
        if (present.Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, node.ToJsonString(), "provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity"));
            return null;
        }

        if (present.Length > 1)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, node.ToJsonString(), "more than one provider specified in a single element, should split into different list elements"));
            return null;
        }

        string type = present[0];
        if (type == "kms")
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, path + ".kms", null, "KMS providers are not supported by Navarch (it talks to no KMS plugin); use aescbc, aesgcm or secretbox"));
            return null;
        }

        if (type == ProviderConfiguration.Identity)
        {
            return new ProviderConfiguration(type, []);
        }

        string keysPath = $"{path}.{type}.keys";
        JsonArray keyList = node[type]?["keys"] as JsonArray ?? [];
        if (keyList.Count == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, keysPath, null, "at least one keys is required"));
        }

        int[] sizes = type == ProviderConfiguration.Secretbox ? SecretboxKeySizes : AesKeySizes;
        var keys = new List<EncryptionKey>();
        for (int k = 0; k < keyList.Count; k++)
        {
            string name = Text(keyList[k]?["name"]) ?? "", secret = Text(keyList[k]?["secret"]) ?? "";
            string keyPath = $"{keysPath}[{k}]";
            if (name.Length == 0)
            {
                errors.Add(new FieldError(FieldErrorType.Required, keyPath + ".name", null, "name is a mandatory field for a key"));
            }

            if (secret.Length == 0)
            {
                errors.Add(new FieldError(FieldErrorType.Required, keyPath + ".secret", null, "secret is a mandatory field for a key"));
            }
            else if (Decode(secret) is not { } bytes)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, keyPath + ".secret", "REDACTED", "secrets must be base64 encoded"));
            }
            else if (!sizes.Contains(bytes.Length))
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, keyPath + ".secret", "REDACTED", $"secret is not of the expected length, got {bytes.Length}, expected one of [{string.Join(' ', sizes)}]"));
            }

            keys.Add(new EncryptionKey(name, secret));
        }

        return new ProviderConfiguration(type, keys);
    }

    private static void ValidateResources(List<string> resources, string path, List<FieldError> errors)
    {
        var parsed = resources.Select(GroupResource.Parse).ToList();
        bool duplicate = false, overlap = false;
        for (int i = 0; i < parsed.Count; i++)
        {
            for (int j = 0; j < parsed.Count; j++)
            {
                if (i == j)
                {
                    continue;
                }

                duplicate |= parsed[i] == parsed[j];
                overlap |= parsed[i] != parsed[j] && (parsed[i] == GroupResource.Everything || (parsed[i].Group == parsed[j].Group && (parsed[i].Resource == "*" || parsed[j].Resource == "*")));
            }
        }

        if (duplicate)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, string.Join(",", resources), "the same resource cannot be specified multiple times"));
        }

        if (overlap)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, path, string.Join(",", resources), "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked"));
        }

        for (int i = 0; i < resources.Count; i++)
        {
            string resource = resources[i];
            GroupResource gr = parsed[i];
            string? problem = resource.Any(char.IsUpper) ? "resource name should not contain capital letters"
                : resource == "*" ? "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources"
                : gr.Group == "events.k8s.io" ? "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file"
                : gr.Group == "extensions" ? "'extensions' group has been removed and cannot be used for encryption"
                : gr.Group == "*" && gr.Resource != "*" ? "encrypting the same resource across groups is not supported"
                : null;
            if (problem is not null)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, $"{path}[{i}]", resource, problem));
            }
        }
    }

    private static byte[]? Decode(string secret)
    {
        try
        {
            return Convert.FromBase64String(secret);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? s) ? s : node?.ToString();
}
