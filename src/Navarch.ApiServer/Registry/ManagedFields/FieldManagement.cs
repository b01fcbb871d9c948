using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Navarch.Api;
using Navarch.Api.ManagedFields;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.ManagedFields;

/// <summary>
/// The request side of field management (k8s.io/apiserver's handlers/patch.go and fieldmanager wiring): the apply
/// patch type, the PatchOptions rules, the manager a write is made by, the checks on an applied configuration, and
/// the type schema of a resource.
/// </summary>
internal static class FieldManagement
{
    /// <summary>The content type of a server-side apply.</summary>
    public const string ApplyPatchType = "application/apply-patch+yaml";

    /// <summary>validation.FieldManagerMaxLength.</summary>
    private const int FieldManagerMaxLength = 128;

    /// <summary>ValidatePatchOptions: apply needs a fieldManager, only apply may force; a 422 on PatchOptions otherwise.</summary>
    public static void ValidatePatchOptions(string patchType, RequestOptions options)
    {
        var errors = new List<FieldError>();
        if (patchType != ApplyPatchType)
        {
            if (options.Force is not null)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, "force", null, "may not be specified for non-apply patch"));
            }
        }
        else if (options.FieldManager.Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, "fieldManager", null, "is required for apply patch"));
        }

        if (Encoding.UTF8.GetByteCount(options.FieldManager) > FieldManagerMaxLength)
        {
            errors.Add(new FieldError(FieldErrorType.TooLong, "fieldManager", null, string.Create(CultureInfo.InvariantCulture, $"may not be more than {FieldManagerMaxLength} bytes")));
        }

        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("PatchOptions", "meta.k8s.io", "", errors);
        }
    }

    /// <summary>apiserver's prefixFromUserAgent: the User-Agent up to its first "/", printable characters only, at most 128 bytes.</summary>
    public static string PrefixFromUserAgent(string userAgent)
    {
        var prefix = new StringBuilder();
        int bytes = 0;
        foreach (Rune r in userAgent.Split('/')[0].EnumerateRunes())
        {
            if (Rune.IsControl(r) || r.Utf8SequenceLength + bytes > FieldManagerMaxLength)
            {
                if (Rune.IsControl(r))
                {
                    continue;
                }

                break;
            }

            bytes += r.Utf8SequenceLength;
            prefix.Append(r.ToString());
        }

        return prefix.ToString();
    }

    /// <summary>The type schema of a resource's objects: the built-in kinds', or a custom resource's from its CRD.</summary>
    public static ITypeSchema SchemaFor(ResourceDefinition definition) =>
        definition.Strategy is Navarch.Api.Apiextensions.CustomResourceStrategy custom ? new CustomResourceTypeSchema(custom.Schema.Source) : BuiltInTypeSchema.Root;

    /// <summary>
    /// The applied configuration, checked as the structured-merge manager checks it: an object, of the resource's
    /// apiVersion and kind, without managedFields; a 400 otherwise.
    /// </summary>
    public static JsonObject Configuration(ResourceDefinition definition, JsonNode patch)
    {
        JsonObject config = patch as JsonObject ?? throw ApiErrors.BadRequest("error decoding YAML: the apply patch must be an object");
        string version = config["apiVersion"] is JsonValue v && v.TryGetValue(out string? s) ? s : "";
        if (version != definition.ApiVersion)
        {
            throw ApiErrors.BadRequest($"Incorrect version specified in apply patch. Specified patch version: {version}, expected: {definition.ApiVersion}");
        }

        string kind = config["kind"] is JsonValue k && k.TryGetValue(out string? t) ? t : "";
        if (kind != definition.Kind)
        {
            throw ApiErrors.BadRequest($"no corresponding type for {version}, Kind={kind}: this resource is {definition.Kind}");
        }

        if (config["metadata"] is JsonObject meta && meta.ContainsKey("managedFields"))
        {
            throw ApiErrors.BadRequest("metadata.managedFields must be nil");
        }

        return config;
    }
}
