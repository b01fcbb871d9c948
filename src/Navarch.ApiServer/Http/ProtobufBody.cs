using System.Text.Json.Nodes;
using Google.Protobuf;
using Navarch.Api;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Reads Kubernetes' protobuf request encoding (<c>application/vnd.kubernetes.protobuf</c>: the "k8s\0" magic and a
/// runtime.Unknown envelope around the object) into JSON, for the kinds kubectl's typed clients send that way:
/// kubectl 1.32's <c>create namespace|configmap|secret|serviceaccount|deployment|job|cronjob|service|quota|role|
/// clusterrole|rolebinding|clusterrolebinding|priorityclass</c>, <c>kubectl autoscale</c> (an autoscaling/v1 HorizontalPodAutoscaler), <c>kubectl certificate approve|deny</c> (a CertificateSigningRequest to <c>/approval</c>), <c>kubectl create token</c> and <c>kubectl auth
/// whoami|can-i</c> post protobuf and do not fall back to JSON.
/// The field numbers are those of Kubernetes' generated.proto (checked against what kubectl sends); fields not
/// listed here are skipped.
/// </summary>
internal static class ProtobufBody
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    private enum Kind
    {
        String,
        Bytes,
        Int,
        Bool,
        Time,
        Message,
        MapString,
        MapBytes,
        RepeatedString,
        RepeatedMessage,
        IntOrString,
        Quantity,
        MapQuantity,
    }

    /// <param name="Name">The JSON field name.</param>
    /// <param name="Kind">How the value is encoded.</param>
    /// <param name="Schema">The fields of a nested message.</param>
    /// <param name="OmitZero">A Go value field (not a pointer): kubectl writes it even when zero, which means unset.</param>
    private sealed record Field(string Name, Kind Kind, Dictionary<int, Field>? Schema = null, bool OmitZero = false);

    private static readonly Dictionary<int, Field> OwnerReference = new()
    {
        [1] = new("kind", Kind.String),
        [3] = new("name", Kind.String),
        [4] = new("uid", Kind.String),
        [5] = new("apiVersion", Kind.String),
        [6] = new("controller", Kind.Bool),
        [7] = new("blockOwnerDeletion", Kind.Bool),
    };

    private static readonly Dictionary<int, Field> ObjectMeta = new()
    {
        [1] = new("name", Kind.String),
        [2] = new("generateName", Kind.String),
        [3] = new("namespace", Kind.String),
        [5] = new("uid", Kind.String),
        [6] = new("resourceVersion", Kind.String),
        [7] = new("generation", Kind.Int, OmitZero: true),
        [8] = new("creationTimestamp", Kind.Time),
        [9] = new("deletionTimestamp", Kind.Time),
        [10] = new("deletionGracePeriodSeconds", Kind.Int),
        [11] = new("labels", Kind.MapString),
        [12] = new("annotations", Kind.MapString),
        [13] = new("ownerReferences", Kind.RepeatedMessage, OwnerReference),
        [14] = new("finalizers", Kind.RepeatedString),
    };

    private static readonly Dictionary<int, Field> ObjectReference = new()
    {
        [1] = new("kind", Kind.String),
        [2] = new("namespace", Kind.String),
        [3] = new("name", Kind.String),
        [4] = new("uid", Kind.String),
        [5] = new("apiVersion", Kind.String),
    };

    private static readonly Dictionary<int, Field> LabelSelector = new()
    {
        [1] = new("matchLabels", Kind.MapString),
        [2] = new("matchExpressions", Kind.RepeatedMessage, new()
        {
            [1] = new("key", Kind.String),
            [2] = new("operator", Kind.String),
            [3] = new("values", Kind.RepeatedString),
        }),
    };

    private static readonly Dictionary<int, Field> Container = new()
    {
        [1] = new("name", Kind.String),
        [2] = new("image", Kind.String),
        [3] = new("command", Kind.RepeatedString),
        [4] = new("args", Kind.RepeatedString),
        [5] = new("workingDir", Kind.String),
        [6] = new("ports", Kind.RepeatedMessage, new()
        {
            [1] = new("name", Kind.String),
            [2] = new("hostPort", Kind.Int, OmitZero: true),
            [3] = new("containerPort", Kind.Int),
            [4] = new("protocol", Kind.String),
            [5] = new("hostIP", Kind.String),
        }),
        [7] = new("env", Kind.RepeatedMessage, new() { [1] = new("name", Kind.String), [2] = new("value", Kind.String) }),
        [8] = new("resources", Kind.Message, new() { [1] = new("limits", Kind.MapQuantity), [2] = new("requests", Kind.MapQuantity) }),
        [13] = new("terminationMessagePath", Kind.String),
        [14] = new("imagePullPolicy", Kind.String),
        [16] = new("stdin", Kind.Bool, OmitZero: true),
        [17] = new("stdinOnce", Kind.Bool, OmitZero: true),
        [18] = new("tty", Kind.Bool, OmitZero: true),
        [20] = new("terminationMessagePolicy", Kind.String),
    };

    private static readonly Dictionary<int, Field> PodSpec = new()
    {
        [2] = new("containers", Kind.RepeatedMessage, Container),
        [3] = new("restartPolicy", Kind.String),
        [4] = new("terminationGracePeriodSeconds", Kind.Int),
        [5] = new("activeDeadlineSeconds", Kind.Int),
        [6] = new("dnsPolicy", Kind.String),
        [7] = new("nodeSelector", Kind.MapString),
        [8] = new("serviceAccountName", Kind.String),
        [10] = new("nodeName", Kind.String),
        [11] = new("hostNetwork", Kind.Bool, OmitZero: true),
        [16] = new("hostname", Kind.String),
        [17] = new("subdomain", Kind.String),
        [19] = new("schedulerName", Kind.String),
        [20] = new("initContainers", Kind.RepeatedMessage, Container),
        [24] = new("priorityClassName", Kind.String),
    };

    private static readonly Dictionary<int, Field> PodTemplate = new()
    {
        [1] = new("metadata", Kind.Message, ObjectMeta),
        [2] = new("spec", Kind.Message, PodSpec),
    };

    private static readonly Dictionary<int, Field> JobSpec = new()
    {
        [1] = new("parallelism", Kind.Int),
        [2] = new("completions", Kind.Int),
        [3] = new("activeDeadlineSeconds", Kind.Int),
        [4] = new("selector", Kind.Message, LabelSelector),
        [5] = new("manualSelector", Kind.Bool),
        [6] = new("template", Kind.Message, PodTemplate),
        [7] = new("backoffLimit", Kind.Int),
    };

    private static readonly Dictionary<int, Field> PolicyRule = new()
    {
        [1] = new("verbs", Kind.RepeatedString),
        [2] = new("apiGroups", Kind.RepeatedString),
        [3] = new("resources", Kind.RepeatedString),
        [4] = new("resourceNames", Kind.RepeatedString),
        [5] = new("nonResourceURLs", Kind.RepeatedString),
    };

    private static readonly Dictionary<int, Field> Binding = new()
    {
        [1] = new("metadata", Kind.Message, ObjectMeta),
        [2] = new("subjects", Kind.RepeatedMessage, new()
        {
            [1] = new("kind", Kind.String),
            [2] = new("apiGroup", Kind.String),
            [3] = new("name", Kind.String),
            [4] = new("namespace", Kind.String),
        }),
        [3] = new("roleRef", Kind.Message, new() { [1] = new("apiGroup", Kind.String), [2] = new("kind", Kind.String), [3] = new("name", Kind.String) }),
    };

    /// <summary>The kinds kubectl's typed clients create in protobuf (kubectl create …), by apiVersion/kind.</summary>
    private static readonly Dictionary<string, Dictionary<int, Field>> Kinds = new(StringComparer.Ordinal)
    {
        ["v1/Namespace"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new() { [1] = new("finalizers", Kind.RepeatedString) }),
        },
        ["v1/ConfigMap"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("data", Kind.MapString),
            [3] = new("binaryData", Kind.MapBytes),
            [4] = new("immutable", Kind.Bool),
        },
        ["v1/Secret"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("data", Kind.MapBytes),
            [3] = new("type", Kind.String),
            [4] = new("stringData", Kind.MapString),
            [5] = new("immutable", Kind.Bool),
        },
        ["v1/ServiceAccount"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("secrets", Kind.RepeatedMessage, ObjectReference),
            [3] = new("imagePullSecrets", Kind.RepeatedMessage, new() { [1] = new("name", Kind.String) }),
            [4] = new("automountServiceAccountToken", Kind.Bool),
        },
        ["authentication.k8s.io/v1/TokenRequest"] = new()
        {
            // kubectl create token; the (empty) status it sends is left unread.
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("audiences", Kind.RepeatedString),
                [3] = new("boundObjectRef", Kind.Message, new()
                {
                    [1] = new("kind", Kind.String),
                    [2] = new("apiVersion", Kind.String),
                    [3] = new("name", Kind.String),
                    [4] = new("uid", Kind.String),
                }),
                [4] = new("expirationSeconds", Kind.Int, OmitZero: true),
            }),
        },
        // kubectl auth whoami and kubectl auth can-i; their (empty) statuses are left unread.
        ["authentication.k8s.io/v1/SelfSubjectReview"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
        },
        ["authorization.k8s.io/v1/SelfSubjectAccessReview"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("resourceAttributes", Kind.Message, new()
                {
                    [1] = new("namespace", Kind.String),
                    [2] = new("verb", Kind.String),
                    [3] = new("group", Kind.String),
                    [4] = new("version", Kind.String),
                    [5] = new("resource", Kind.String),
                    [6] = new("subresource", Kind.String),
                    [7] = new("name", Kind.String),
                }),
                [2] = new("nonResourceAttributes", Kind.Message, new()
                {
                    [1] = new("path", Kind.String),
                    [2] = new("verb", Kind.String),
                }),
            }),
        },
        // kubectl auth can-i --list.
        ["authorization.k8s.io/v1/SelfSubjectRulesReview"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new() { [1] = new("namespace", Kind.String) }),
        },
        ["v1/Service"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("ports", Kind.RepeatedMessage, new()
                {
                    [1] = new("name", Kind.String),
                    [2] = new("protocol", Kind.String),
                    [3] = new("port", Kind.Int),
                    [4] = new("targetPort", Kind.IntOrString),
                    [5] = new("nodePort", Kind.Int, OmitZero: true),
                }),
                [2] = new("selector", Kind.MapString),
                [3] = new("clusterIP", Kind.String),
                [4] = new("type", Kind.String),
                [5] = new("externalIPs", Kind.RepeatedString),
                [10] = new("externalName", Kind.String),
            }),
        },
        ["v1/ResourceQuota"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new() { [1] = new("hard", Kind.MapQuantity), [2] = new("scopes", Kind.RepeatedString) }),
        },
        ["apps/v1/Deployment"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("replicas", Kind.Int),
                [2] = new("selector", Kind.Message, LabelSelector),
                [3] = new("template", Kind.Message, PodTemplate),
                [4] = new("strategy", Kind.Message, new() { [1] = new("type", Kind.String) }),
                [5] = new("minReadySeconds", Kind.Int, OmitZero: true),
                [6] = new("revisionHistoryLimit", Kind.Int),
                [7] = new("paused", Kind.Bool, OmitZero: true),
                [9] = new("progressDeadlineSeconds", Kind.Int),
            }),
        },
        ["autoscaling/v1/HorizontalPodAutoscaler"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("scaleTargetRef", Kind.Message, new() { [1] = new("kind", Kind.String), [2] = new("name", Kind.String), [3] = new("apiVersion", Kind.String) }),
                [2] = new("minReplicas", Kind.Int),
                [3] = new("maxReplicas", Kind.Int),
                [4] = new("targetCPUUtilizationPercentage", Kind.Int),
            }),
        },
        ["batch/v1/Job"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, JobSpec),
        },
        ["batch/v1/CronJob"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("schedule", Kind.String),
                [5] = new("jobTemplate", Kind.Message, new() { [1] = new("metadata", Kind.Message, ObjectMeta), [2] = new("spec", Kind.Message, JobSpec) }),
            }),
        },
        ["rbac.authorization.k8s.io/v1/Role"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("rules", Kind.RepeatedMessage, PolicyRule),
        },
        ["rbac.authorization.k8s.io/v1/ClusterRole"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("rules", Kind.RepeatedMessage, PolicyRule),
        },
        ["rbac.authorization.k8s.io/v1/RoleBinding"] = Binding,
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = Binding,
        ["certificates.k8s.io/v1/CertificateSigningRequest"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new()
            {
                [1] = new("request", Kind.Bytes),
                [2] = new("username", Kind.String),
                [3] = new("uid", Kind.String),
                [4] = new("groups", Kind.RepeatedString),
                [5] = new("usages", Kind.RepeatedString),
                [7] = new("signerName", Kind.String),
                [8] = new("expirationSeconds", Kind.Int),
            }),
            [3] = new("status", Kind.Message, new()
            {
                [1] = new("conditions", Kind.RepeatedMessage, new()
                {
                    [1] = new("type", Kind.String),
                    [2] = new("reason", Kind.String),
                    [3] = new("message", Kind.String),
                    [4] = new("lastUpdateTime", Kind.Time),
                    [5] = new("lastTransitionTime", Kind.Time),
                    [6] = new("status", Kind.String),
                }),
                [2] = new("certificate", Kind.Bytes),
            }),
        },
        ["scheduling.k8s.io/v1/PriorityClass"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("value", Kind.Int),
            [3] = new("globalDefault", Kind.Bool, OmitZero: true),
            [4] = new("description", Kind.String),
            [5] = new("preemptionPolicy", Kind.String),
        },
    };

    private static readonly Dictionary<int, Field> IntOrStringFields = new()
    {
        [1] = new("type", Kind.Int),
        [2] = new("intVal", Kind.Int),
        [3] = new("strVal", Kind.String),
    };

    /// <summary>resource.Quantity travels as a message with its string form in field 1.</summary>
    private static string QuantityOf(ByteString bytes) =>
        Read(new CodedInputStream(bytes.ToByteArray()), new() { [1] = new("string", Kind.String) })["string"]?.GetValue<string>() ?? "0";

    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw ApiErrors.BadRequest("the protobuf body does not start with the Kubernetes magic number");
        }

        try
        {
            var envelope = new CodedInputStream(body, Magic.Length, body.Length - Magic.Length);
            string apiVersion = "", kind = "";
            ByteString raw = ByteString.Empty;
            uint tag;
            while ((tag = envelope.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        var typeMeta = new CodedInputStream(envelope.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = typeMeta.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 1: apiVersion = typeMeta.ReadString(); break;
                                case 2: kind = typeMeta.ReadString(); break;
                                default: typeMeta.SkipLastField(); break;
                            }
                        }

                        break;
                    case 2:
                        raw = envelope.ReadBytes();
                        break;
                    default:
                        envelope.SkipLastField();
                        break;
                }
            }

            if (!Kinds.TryGetValue($"{apiVersion}/{kind}", out Dictionary<int, Field>? schema))
            {
                throw ApiErrors.UnsupportedMediaType($"application/vnd.kubernetes.protobuf for {apiVersion} {kind} (Navarch reads protobuf only for the kinds kubectl create makes; send JSON, e.g. kubectl create ... --dry-run=client -o yaml | kubectl apply -f -)");
            }

            JsonObject obj = Read(new CodedInputStream(raw.ToByteArray()), schema);
            obj["apiVersion"] = apiVersion;
            obj["kind"] = kind;
            return obj;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException or OverflowException or InvalidOperationException or FormatException)
        {
            // Malformed input in any field: a wrong wire type, a length past the end, a time out of range.
            throw ApiErrors.BadRequest($"the protobuf body is malformed: {e.Message}");
        }
    }

    private static JsonObject Read(CodedInputStream input, Dictionary<int, Field> schema)
    {
        var obj = new JsonObject();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!schema.TryGetValue(WireFormat.GetTagFieldNumber(tag), out Field? field))
            {
                input.SkipLastField();
                continue;
            }

            switch (field.Kind)
            {
                case Kind.String:
                    // Go strings have no "unset": kubectl writes every one, empty when not given. Empty means absent.
                    string text = input.ReadString();
                    if (text.Length > 0)
                    {
                        obj[field.Name] = text;
                    }

                    break;
                case Kind.Bytes:
                    obj[field.Name] = input.ReadBytes().ToBase64();
                    break;
                case Kind.Int:
                    long number = input.ReadInt64();
                    if (number != 0 || !field.OmitZero)
                    {
                        obj[field.Name] = number;
                    }

                    break;
                case Kind.Bool:
                    bool flag = input.ReadBool();
                    if (flag || !field.OmitZero)
                    {
                        obj[field.Name] = flag;
                    }

                    break;
                case Kind.Time:
                    JsonObject time = Read(new CodedInputStream(input.ReadBytes().ToByteArray()), new() { [1] = new("seconds", Kind.Int) });
                    long seconds = time["seconds"]?.GetValue<long>() ?? 0;
                    if (seconds != 0)
                    {
                        obj[field.Name] = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
                    }

                    break;
                case Kind.Message:
                    obj[field.Name] = Read(new CodedInputStream(input.ReadBytes().ToByteArray()), field.Schema!);
                    break;
                case Kind.IntOrString:
                    // intstr.IntOrString: type (0 int, 1 string), intVal, strVal.
                    JsonObject union = Read(new CodedInputStream(input.ReadBytes().ToByteArray()), IntOrStringFields);
                    obj[field.Name] = union["type"]?.GetValue<long>() == 1 ? union["strVal"]?.GetValue<string>() ?? "" : union["intVal"]?.GetValue<long>() ?? 0;
                    break;
                case Kind.Quantity:
                    obj[field.Name] = QuantityOf(input.ReadBytes());
                    break;
                case Kind.MapQuantity:
                    var quantities = obj[field.Name] as JsonObject ?? [];
                    var pair = new CodedInputStream(input.ReadBytes().ToByteArray());
                    string name = "";
                    string quantity = "0";
                    uint q;
                    while ((q = pair.ReadTag()) != 0)
                    {
                        switch (WireFormat.GetTagFieldNumber(q))
                        {
                            case 1: name = pair.ReadString(); break;
                            case 2: quantity = QuantityOf(pair.ReadBytes()); break;
                            default: pair.SkipLastField(); break;
                        }
                    }

                    quantities[name] = quantity;
                    obj[field.Name] = quantities;
                    break;
                case Kind.MapString or Kind.MapBytes:
                    var entry = new CodedInputStream(input.ReadBytes().ToByteArray());
                    string key = "";
                    JsonNode? value = "";
                    uint e;
                    while ((e = entry.ReadTag()) != 0)
                    {
                        switch (WireFormat.GetTagFieldNumber(e))
                        {
                            case 1: key = entry.ReadString(); break;
                            case 2: value = field.Kind == Kind.MapString ? entry.ReadString() : entry.ReadBytes().ToBase64(); break;
                            default: entry.SkipLastField(); break;
                        }
                    }

                    var map = obj[field.Name] as JsonObject ?? [];
                    map[key] = value;
                    obj[field.Name] = map;
                    break;
                case Kind.RepeatedString:
                    var strings = obj[field.Name] as JsonArray ?? [];
                    strings.Add(input.ReadString());
                    obj[field.Name] = strings;
                    break;
                case Kind.RepeatedMessage:
                    var items = obj[field.Name] as JsonArray ?? [];
                    items.Add(Read(new CodedInputStream(input.ReadBytes().ToByteArray()), field.Schema!));
                    obj[field.Name] = items;
                    break;
            }
        }

        return obj;
    }
}
