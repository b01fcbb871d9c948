using k8s;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>
/// Malformed and hostile requests generated from every built-in kind in the catalog: seeded mutations of a fully
/// populated object (wrong types in every field, nulls in lists, huge numbers and quantities, deep nesting, lone
/// surrogates, truncated and garbled text) sent as JSON, YAML (also with anchors and aliases) and protobuf, as creates,
/// updates and the three patch types. Never a 5xx, every answer within <see cref="PerRequest"/>, bounded memory, and
/// the server still serves afterwards. Seeded, so a failure names its seed and can be replayed.
/// </summary>
[Trait("Category", "Integration")]
[Collection(RobustnessCollection.Name)]
public sealed class FuzzedBodyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Namespace = "fuzz";

    private static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(3);

    private static readonly string[] PatchTypes = ["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"];

    private readonly ConcurrentQueue<string> _failures = new();

    [Fact]
    public async Task Hostile_bodies_for_every_kind_never_break_the_server()
    {
        await SendAsync("POST", "/api/v1/namespaces", "application/json", Encoding.UTF8.GetBytes($"{{\"metadata\":{{\"name\":\"{Namespace}\"}}}}"), "namespace");
        GC.Collect();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(20, CancellationToken.None);
            }
        });

        var watch = Stopwatch.StartNew();
        int requests = 0;
        IEnumerable<ResourceDefinition> kinds = ResourceCatalog.Default.All.Where(d => d.Verbs.Contains("create"));
        await Parallel.ForEachAsync(kinds, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (definition, _) =>
            Interlocked.Add(ref requests, await FuzzKindAsync(definition)));
        await FuzzProtobufAsync();
        await sampling.CancelAsync();
        await sampler;

        Assert.True(_failures.IsEmpty, $"{_failures.Count} of {requests} requests failed:\n" + string.Join("\n", _failures.Take(25)));
        Assert.True(peak - baseline < 1024L * 1024 * 1024, $"managed memory grew by {(peak - baseline) / (1024 * 1024)} MiB");
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(3), $"the run took {watch.Elapsed}");

        // Still serving: a read, a write, and a list of what the fuzzing left.
        Assert.NotEmpty((await fixture.Client.CoreV1.ListNamespaceAsync()).Items);
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = "after-fuzz" } }, Namespace);
        Assert.NotNull(await fixture.Client.CoreV1.ListNamespacedPodAsync(Namespace));
    }

    private static string PathOf(ResourceDefinition definition, string? name = null)
    {
        string prefix = definition.Group.Length == 0 ? "/api/v1" : $"/apis/{definition.Group}/{definition.Version}";
        string collection = definition.Namespaced ? $"{prefix}/namespaces/{Namespace}/{definition.Plural}" : $"{prefix}/{definition.Plural}";
        return name is null ? collection : $"{collection}/{name}";
    }

    private async Task<int> FuzzKindAsync(ResourceDefinition definition)
    {
        int seed = StableHash(definition.GroupResource);
        var mutator = new BodyMutator(seed);
        string baseName = $"fuzz-{seed & 0xffff:x}";
        JsonObject sample = ModelSampler.Sample(definition.ClrType, definition.ApiVersion, definition.Kind, baseName);
        string collection = PathOf(definition);
        int sent = 0;

        // Something to update and patch: the populated sample if it is valid, else the bare minimum.
        bool exists = await SendAsync("POST", collection, "application/json", Encoding.UTF8.GetBytes(sample.ToJsonString()), $"{definition.Kind} sample") == 201;
        if (!exists)
        {
            var minimal = new JsonObject { ["apiVersion"] = definition.ApiVersion, ["kind"] = definition.Kind, ["metadata"] = new JsonObject { ["name"] = baseName } };
            exists = await SendAsync("POST", collection, "application/json", Encoding.UTF8.GetBytes(minimal.ToJsonString()), $"{definition.Kind} minimal") == 201;
        }

        sent += 2;
        for (int i = 0; i < 40; i++)
        {
            (JsonNode body, string what) = mutator.Mutate(sample);
            if (body["metadata"] is JsonObject metadata)
            {
                metadata["name"] = $"{baseName}-{i}";
            }

            string context = $"{definition.Kind} seed {seed} #{i} {what}";
            switch (i % 7)
            {
                case 5:
                    await SendAsync("POST", collection, "application/yaml", Encoding.UTF8.GetBytes(body.ToJsonString()), context + " as YAML");
                    break;
                case 6:
                    await SendAsync("POST", collection, "application/yaml", Encoding.UTF8.GetBytes(mutator.AliasedYaml(sample)), context + " aliased YAML");
                    break;
                default:
                    await SendAsync("POST", collection, "application/json", mutator.Text(body), context);
                    break;
            }

            sent++;
        }

        for (int i = 0; i < 12; i++)
        {
            (JsonNode body, string what) = mutator.Mutate(sample);
            string context = $"{definition.Kind} seed {seed} update/patch #{i} {what}";
            string target = PathOf(definition, baseName);
            if (i == 0)
            {
                if (body["metadata"] is JsonObject metadata)
                {
                    metadata["name"] = baseName;
                }

                await SendAsync("PUT", target, "application/json", mutator.Text(body), context + " PUT");
            }
            else
            {
                string type = PatchTypes[i % PatchTypes.Length];
                JsonNode patch = type == "application/json-patch+json" ? JsonOperations(body) : body;
                await SendAsync("PATCH", target, type, mutator.Text(patch), $"{context} {type}{(exists ? "" : " (no object)")}");
            }

            sent++;
        }

        return sent;
    }

    /// <summary>A JSON patch replacing each top-level field of <paramref name="body"/>, plus operations with wrong types.</summary>
    private static JsonArray JsonOperations(JsonNode body)
    {
        var operations = new JsonArray();
        foreach ((string key, JsonNode? value) in body.AsObject())
        {
            operations.Add(new JsonObject { ["op"] = "add", ["path"] = "/" + key, ["value"] = value?.DeepClone() });
        }

        operations.Add(new JsonObject { ["op"] = "move", ["from"] = 5, ["path"] = "/spec" });
        operations.Add(new JsonObject { ["op"] = "replace", ["path"] = "/metadata/labels/~2", ["value"] = null });
        return operations;
    }

    private async Task FuzzProtobufAsync()
    {
        (string ApiVersion, string Kind, string Path)[] kinds =
        [
            ("v1", "ConfigMap", $"/api/v1/namespaces/{Namespace}/configmaps"),
            ("v1", "Service", $"/api/v1/namespaces/{Namespace}/services"),
            ("v1", "ResourceQuota", $"/api/v1/namespaces/{Namespace}/resourcequotas"),
            ("apps/v1", "Deployment", $"/apis/apps/v1/namespaces/{Namespace}/deployments"),
            ("batch/v1", "CronJob", $"/apis/batch/v1/namespaces/{Namespace}/cronjobs"),
            ("v1", "Nothing", $"/api/v1/namespaces/{Namespace}/configmaps"),
        ];
        var random = new Random(1616);
        for (int i = 0; i < 400; i++)
        {
            (string apiVersion, string kind, string path) = kinds[i % kinds.Length];
            byte[] body = i % 10 == 9 ? RandomBytes(random) : ProtobufEnvelope.Wrap(apiVersion, kind, ProtobufEnvelope.RandomMessage(random));
            await SendAsync("POST", path, "application/vnd.kubernetes.protobuf", body, $"protobuf {kind} #{i} (seed 1616)");
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        byte[] bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends one request; a 5xx or an answer slower than <see cref="PerRequest"/> is recorded as a failure. Returns the status code.</summary>
    private async Task<int> SendAsync(string method, string path, string contentType, byte[] body, string context)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = content };
        var watch = Stopwatch.StartNew();
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        int code = (int)response.StatusCode;
        if (code >= 500 || watch.Elapsed > PerRequest)
        {
            _failures.Enqueue($"{method} {path} [{context}] → {code} in {watch.ElapsedMilliseconds} ms: {text[..Math.Min(300, text.Length)]}");
        }

        return code;
    }

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash & int.MaxValue;
    }
}
