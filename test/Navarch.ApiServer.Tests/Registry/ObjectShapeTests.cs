using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>
/// Every built-in kind the catalog serves with create and get (new kinds are covered as they are added: one without a
/// minimal body here that cannot be created bare fails the test), created minimally and read back over raw HTTP, in
/// the shape kube-apiserver returns: metadata with name, uid, resourceVersion,
/// creationTimestamp and managedFields, and the spec and status structs Go always writes (empty ones as <c>{}</c>).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ObjectShapeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Namespace = "shape";

    private static readonly JsonObject Containers = Json("""{"containers":[{"name":"c","image":"busybox:1.36"}]}""");
    private static readonly JsonObject Template = new() { ["metadata"] = Json("""{"labels":{"app":"shape"}}"""), ["spec"] = Containers.DeepClone() };
    private static readonly JsonObject Selector = Json("""{"matchLabels":{"app":"shape"}}""");

    // What each kind needs beyond metadata.name to pass validation.
    private static readonly Dictionary<string, Func<JsonObject>> Bodies = new(StringComparer.Ordinal)
    {
        ["/Pod"] = () => new() { ["spec"] = Containers.DeepClone() },
        ["/Service"] = () => Json("""{"spec":{"ports":[{"port":80}]}}"""),
        ["/Event"] = () => Json($$$"""{"involvedObject":{"kind":"Pod","name":"p","namespace":"{{{Namespace}}}"},"reason":"R","message":"m","type":"Normal","source":{"component":"c"}}"""),
        ["/PersistentVolume"] = () => Json("""{"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/shape"}}}"""),
        ["/PersistentVolumeClaim"] = () => Json("""{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}"""),
        ["/ReplicationController"] = () => new() { ["spec"] = new JsonObject { ["selector"] = Json("""{"app":"shape"}"""), ["template"] = Template.DeepClone() } },
        ["/PodTemplate"] = () => new() { ["template"] = Template.DeepClone() },
        ["apps/Deployment"] = Workload,
        ["apps/ReplicaSet"] = Workload,
        ["apps/DaemonSet"] = Workload,
        ["apps/StatefulSet"] = Workload,
        ["apps/ControllerRevision"] = () => Json("""{"revision":1}"""),
        ["batch/Job"] = () => new() { ["spec"] = new JsonObject { ["template"] = RestartNever() } },
        ["batch/CronJob"] = () => new() { ["spec"] = new JsonObject { ["schedule"] = "*/5 * * * *", ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = RestartNever() } } } },
        ["discovery.k8s.io/EndpointSlice"] = () => Json("""{"addressType":"IPv4","endpoints":[]}"""),
        ["autoscaling/HorizontalPodAutoscaler"] = () => Json("""{"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d"},"maxReplicas":2}}"""),
        ["events.k8s.io/Event"] = () => Json($$$"""{"eventTime":"2026-01-01T00:00:00.000000Z","reportingController":"example.com/c","reportingInstance":"i","action":"Act","reason":"R","type":"Normal","regarding":{"kind":"Pod","name":"p","namespace":"{{{Namespace}}}"}}"""),
        ["rbac.authorization.k8s.io/RoleBinding"] = RoleRef,
        ["rbac.authorization.k8s.io/ClusterRoleBinding"] = RoleRef,
        ["networking.k8s.io/Ingress"] = () => Json("""{"spec":{"defaultBackend":{"service":{"name":"s","port":{"number":80}}}}}"""),
        ["networking.k8s.io/IngressClass"] = () => Json("""{"spec":{"controller":"example.com/c"}}"""),
        ["storage.k8s.io/StorageClass"] = () => Json("""{"provisioner":"example.com/p"}"""),
        ["storage.k8s.io/CSINode"] = () => Json("""{"spec":{"drivers":[]}}"""),
        ["storage.k8s.io/VolumeAttachment"] = () => Json("""{"spec":{"attacher":"csi.example.com","nodeName":"n","source":{"persistentVolumeName":"pv"}}}"""),
        ["storage.k8s.io/CSIStorageCapacity"] = () => Json("""{"storageClassName":"sc"}"""),
        ["scheduling.k8s.io/PriorityClass"] = () => Json("""{"value":1000}"""),
        ["node.k8s.io/RuntimeClass"] = () => Json("""{"handler":"runc"}"""),
        ["certificates.k8s.io/CertificateSigningRequest"] = () => new()
        {
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(CertificateRequestPem.Create("CN=shape")),
                ["signerName"] = "example.com/signer",
                ["usages"] = new JsonArray("digital signature", "client auth"),
            },
        },
        ["apiregistration.k8s.io/APIService"] = () => Json("""{"spec":{"group":"shape.example.com","version":"v1","groupPriorityMinimum":100,"versionPriority":10}}"""),
        ["admissionregistration.k8s.io/ValidatingAdmissionPolicy"] = () => Json("""{"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]},"validations":[{"expression":"true"}]}}"""),
        ["admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding"] = () => Json("""{"spec":{"policyName":"p","validationActions":["Deny"]}}"""),
        ["apiextensions.k8s.io/CustomResourceDefinition"] = () => Json(KubernetesJson.Serialize(Apiextensions.CustomResourceHarness.Widgets("shape.example.com"))),
    };

    // Names kube-apiserver requires to have a shape of their own.
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["apiregistration.k8s.io/APIService"] = "v1.shape.example.com",
        ["apiextensions.k8s.io/CustomResourceDefinition"] = "widgets.shape.example.com",
    };

    // Kinds whose minimal object here sets no field a manager owns (only apiVersion, kind, name and namespace, which no
    // manager owns): structured-merge-diff's Updater drops a manager whose set is empty, so kube-apiserver records no
    // managedFields for them either. Every other kind must have them.
    private static readonly HashSet<string> UntrackedKinds = new(StringComparer.Ordinal)
    {
        "Endpoints", "ConfigMap", "Node", "ServiceAccount", "ResourceQuota", "LimitRange", "Lease", "PodDisruptionBudget", "Role", "ClusterRole", "CertificateSigningRequest", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    };

    [Fact]
    public async Task Every_built_in_kind_reads_back_in_kube_apiservers_shape()
    {
        await fixture.Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = Namespace } });
        var problems = new List<string>();
        int checkedKinds = 0;
        foreach (ResourceDefinition d in ResourceCatalog.Default.All.Where(Creatable))
        {
            string key = $"{d.Group}/{d.Kind}";
            string name = Names.GetValueOrDefault(key, "shape-" + d.Singular);
            JsonObject body = Bodies.TryGetValue(key, out Func<JsonObject>? make) ? make() : [];
            body["apiVersion"] = d.ApiVersion;
            body["kind"] = d.Kind;
            body["metadata"] = new JsonObject { ["name"] = name };
            string collection = (d.Group.Length == 0 ? "/api/v1" : $"/apis/{d.Group}/{d.Version}") + (d.Namespaced ? $"/namespaces/{Namespace}/" : "/") + d.Plural;
            // As every client sends one: the manager of the create's managedFields entry is derived from it.
            using var create = new HttpRequestMessage(HttpMethod.Post, new Uri(collection, UriKind.Relative)) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            create.Headers.UserAgent.ParseAdd("shape-test/1.0");
            using HttpResponseMessage created = await fixture.Http.SendAsync(create);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                problems.Add($"{key}: create answered {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
                continue;
            }

            JsonObject read = JsonNode.Parse(await fixture.Http.GetStringAsync(new Uri($"{collection}/{name}", UriKind.Relative)))!.AsObject();
            problems.AddRange(Shape(d, read).Select(p => $"{key}: {p}"));
            checkedKinds++;
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(checkedKinds > 40, $"only {checkedKinds} kinds checked");
    }

    private static IEnumerable<string> Shape(ResourceDefinition d, JsonObject read)
    {
        if (read["metadata"] is not JsonObject metadata)
        {
            yield break;
        }

        foreach (string field in (string[])["name", "uid", "resourceVersion", "creationTimestamp"])
        {
            if (metadata[field] is not JsonValue)
            {
                yield return $"metadata.{field} missing";
            }
        }

        bool tracked = metadata["managedFields"] is JsonArray { Count: > 0 };
        if (tracked == UntrackedKinds.Contains(d.Kind))
        {
            yield return tracked ? "now has managedFields: remove it from UntrackedKinds" : "metadata.managedFields missing";
        }

        if (d.Namespaced != metadata.ContainsKey("namespace"))
        {
            yield return "metadata.namespace " + (d.Namespaced ? "missing" : "on a cluster-scoped object");
        }

        // Go's encoder writes a struct field even when it is empty (omitempty does not omit structs).
        foreach ((string property, string field) in new[] { ("Spec", "spec"), ("Status", "status") })
        {
            if (d.ClrType.GetProperty(property) is not null && read[field] is not JsonObject)
            {
                yield return $"{field} missing (Kubernetes writes {field}: {{}})";
            }
        }

        if (d.Kind == "Service" && read["status"]?["loadBalancer"] is not JsonObject)
        {
            yield return "status.loadBalancer missing";
        }

        if (d.Kind == "Namespace" && (string?)read["status"]?["phase"] != "Active")
        {
            yield return "status.phase is not Active";
        }
    }

    // The storage version of each kind (conversions are other tests'), create and get served, Kubernetes' own groups.
    private static bool Creatable(ResourceDefinition d) =>
        d.Converter is null && d.Verbs.Contains("create") && d.Verbs.Contains("get") && !d.Group.EndsWith(".navarch.io", StringComparison.Ordinal);

    private static JsonObject Workload() => new() { ["spec"] = new JsonObject { ["selector"] = Selector.DeepClone(), ["template"] = Template.DeepClone() } };

    private static JsonObject RestartNever()
    {
        JsonObject template = Template.DeepClone().AsObject();
        template["spec"]!["restartPolicy"] = "Never";
        return template;
    }

    private static JsonObject RoleRef() => Json("""{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}""");

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();
}
