using System.Collections;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.ApiServer.OpenApi;

/// <summary>
/// OpenAPI v3 documents for every served group/version, built from the catalog's definitions by reflection over the
/// official model types: the discovery document at /openapi/v3 and one document per group/version. kubectl reads
/// them to learn that the server validates fields itself (the <c>fieldValidation</c> parameter of each PATCH) and
/// for <c>kubectl explain</c>.
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly Dictionary<string, (byte[] Json, string Hash)> _byGroupVersion = new(StringComparer.Ordinal);

    public OpenApiDocuments(IReadOnlyList<ResourceDefinition> definitions)
    {
        var descriptions = ModelDocs.Load();
        var v2 = new SchemaBuilder(descriptions, "#/definitions/", swagger2: true);
        var v2Paths = new JsonObject();
        foreach ((string group, string version) in definitions.Select(d => (d.Group, d.Version)).Distinct())
        {
            string path = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
            var builder = new SchemaBuilder(descriptions, "#/components/schemas/", swagger2: false);
            AddPaths(v2Paths, v2, definitions, group, version, path, swagger2: true);
            var paths = new JsonObject();
            AddPaths(paths, builder, definitions, group, version, path, swagger2: false);

            var document = new JsonObject
            {
                ["openapi"] = "3.0.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = ApiServer.KubernetesVersion },
                ["paths"] = paths,
                ["components"] = new JsonObject { ["schemas"] = builder.Schemas },
            };
            byte[] json = Encoding.UTF8.GetBytes(document.ToJsonString());
            _byGroupVersion[path] = (json, Convert.ToHexString(SHA256.HashData(json)));
        }

        var index = new JsonObject();
        foreach ((string path, (_, string hash)) in _byGroupVersion)
        {
            index[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={hash}" };
        }

        Index = Encoding.UTF8.GetBytes(new JsonObject { ["paths"] = index }.ToJsonString());
        V2 = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = ApiServer.KubernetesVersion },
            ["paths"] = v2Paths,
            ["definitions"] = v2.Schemas,
        }.ToJsonString());
    }

    /// <summary>The /openapi/v2 (Swagger 2.0) document of every resource.</summary>
    public byte[] V2 { get; }

    private static void AddPaths(JsonObject paths, SchemaBuilder builder, IReadOnlyList<ResourceDefinition> definitions, string group, string version, string path, bool swagger2)
    {
        foreach (ResourceDefinition d in definitions.Where(d => d.Group == group && d.Version == version))
        {
            string schema = builder.Ref(d.ClrType, d);
            string collection = d.Namespaced ? $"/{path}/namespaces/{{namespace}}/{d.Plural}" : $"/{path}/{d.Plural}";
            var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = d.Kind };
            // Only the operations the resource serves (the reviews are create-only).
            var onCollection = new JsonObject();
            if (d.Verbs.Contains("list"))
            {
                onCollection["get"] = Operation("list", gvk, builder.ListRef(d), [], swagger2);
            }

            if (d.Verbs.Contains("create"))
            {
                onCollection["post"] = Operation("post", gvk, schema, WriteParameters(swagger2), swagger2);
            }

            paths[collection] = onCollection;
            if (d.Verbs.Contains("get"))
            {
                paths[collection + "/{name}"] = new JsonObject
                {
                    ["get"] = Operation("get", gvk, schema, [], swagger2),
                    ["put"] = Operation("put", gvk, schema, WriteParameters(swagger2), swagger2),
                    ["patch"] = Operation("patch", gvk, schema, WriteParameters(swagger2), swagger2),
                    ["delete"] = Operation("delete", gvk, schema, [], swagger2),
                };
            }
        }
    }

    /// <summary>The /openapi/v3 discovery document.</summary>
    public byte[] Index { get; }

    /// <summary>The document of one group/version path ("api/v1", "apis/apps/v1"), or null.</summary>
    public byte[]? Find(string path) => _byGroupVersion.TryGetValue(path, out var doc) ? doc.Json : null;

    private static JsonArray WriteParameters(bool swagger2) =>
    [
        Query("dryRun", "When present, indicates that modifications should not be persisted.", swagger2),
        Query("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes.", swagger2),
        Query("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.", swagger2),
    ];

    private static JsonObject Query(string name, string description, bool swagger2)
    {
        var parameter = new JsonObject { ["name"] = name, ["in"] = "query", ["description"] = description, ["uniqueItems"] = true };
        if (swagger2)
        {
            parameter["type"] = "string";
        }
        else
        {
            parameter.Remove("uniqueItems");
            parameter["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true };
        }

        return parameter;
    }

    private static JsonObject Operation(string action, JsonObject gvk, string schemaRef, JsonArray parameters, bool swagger2) => new()
    {
        ["x-kubernetes-action"] = action,
        ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        ["parameters"] = parameters,
        ["responses"] = new JsonObject
        {
            ["200"] = swagger2
                ? new JsonObject { ["description"] = "OK", ["schema"] = new JsonObject { ["$ref"] = schemaRef } }
                : new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = schemaRef } } },
                },
        },
    };

    /// <summary>Builds component schemas for model types, each once.</summary>
    private sealed class SchemaBuilder(IReadOnlyDictionary<string, string> descriptions, string refPrefix, bool swagger2)
    {
        public JsonObject Schemas { get; } = [];

        public string Ref(Type type, ResourceDefinition? definition)
        {
            if (definition?.Strategy is CustomResourceStrategy custom)
            {
                string kind = CustomResourceSchemas.Name(definition);
                Schemas[kind] ??= CustomResourceSchemas.Object(definition, custom, For(typeof(V1ObjectMeta)), swagger2);
                return refPrefix + kind;
            }

            string name = SchemaName(type, definition);
            if (!Schemas.ContainsKey(name))
            {
                var schema = new JsonObject { ["type"] = "object" };
                Schemas[name] = schema;
                Fill(schema, type, definition);
            }

            return refPrefix + name;
        }

        /// <summary>The schema of the resource's list.</summary>
        public string ListRef(ResourceDefinition definition)
        {
            if (definition.Strategy is not CustomResourceStrategy)
            {
                return Ref(definition.ListClrType, null);
            }

            string list = CustomResourceSchemas.Name(definition, "List");
            Schemas[list] ??= CustomResourceSchemas.List(definition, Ref(definition.ClrType, definition), For(typeof(V1ListMeta)));
            return refPrefix + list;
        }

        private static string SchemaName(Type type, ResourceDefinition? definition)
        {
            if (definition is not null)
            {
                string group = definition.Group.Length == 0 ? "core" : definition.Group.Split('.')[0];
                return $"io.k8s.api.{group}.{definition.Version}.{definition.Kind}";
            }

            // Kubernetes names the type without the client's version prefix: V1DeploymentStrategy → DeploymentStrategy.
            return "io.k8s.navarch." + System.Text.RegularExpressions.Regex.Replace(type.Name, "^(V\\d+((alpha|beta)\\d+)?|Corev1|Eventsv1)", "");
        }

        private void Fill(JsonObject schema, Type type, ResourceDefinition? definition)
        {
            if (descriptions.TryGetValue("T:" + type.FullName, out string? typeDoc))
            {
                schema["description"] = typeDoc;
            }

            var properties = new JsonObject();
            foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (p.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } json)
                {
                    continue;
                }

                JsonObject property = For(p.PropertyType);
                if (descriptions.TryGetValue($"P:{type.FullName}.{p.Name}", out string? doc))
                {
                    property["description"] = doc;
                }

                properties[json.Name] = property;
            }

            schema["properties"] = properties;
            if (definition is not null)
            {
                schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = definition.Group, ["version"] = definition.Version, ["kind"] = definition.Kind });
            }
        }

        private JsonObject For(Type type)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (type == typeof(string))
            {
                return new JsonObject { ["type"] = "string" };
            }

            if (type == typeof(int) || type == typeof(long))
            {
                return new JsonObject { ["type"] = "integer", ["format"] = type == typeof(int) ? "int32" : "int64" };
            }

            if (type == typeof(bool))
            {
                return new JsonObject { ["type"] = "boolean" };
            }

            if (type == typeof(double) || type == typeof(float))
            {
                return new JsonObject { ["type"] = "number", ["format"] = "double" };
            }

            if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
            {
                return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
            }

            if (type == typeof(byte[]))
            {
                return new JsonObject { ["type"] = "string", ["format"] = "byte" };
            }

            if (type == typeof(IntOrString))
            {
                return swagger2
                    ? new JsonObject { ["type"] = "string", ["format"] = "int-or-string" }
                    : new JsonObject { ["x-kubernetes-int-or-string"] = true, ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }) };
            }

            if (type == typeof(ResourceQuantity))
            {
                return new JsonObject { ["type"] = "string", ["format"] = "quantity" };
            }

            if (type == typeof(object))
            {
                return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            }

            Type? dictionary = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
            if (dictionary is not null)
            {
                return new JsonObject { ["type"] = "object", ["additionalProperties"] = For(dictionary.GetGenericArguments()[1]) };
            }

            if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
            {
                Type item = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().FirstOrDefault() ?? typeof(object);
                return new JsonObject { ["type"] = "array", ["items"] = For(item) };
            }

            // v3 wraps references in allOf so a description can sit beside them; Swagger 2.0 takes the bare $ref.
            return swagger2
                ? new JsonObject { ["$ref"] = Ref(type, null) }
                : new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = Ref(type, null) }) };
        }
    }
}
