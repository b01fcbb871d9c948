using System.Reflection;
using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// The generated message of each built-in kind, by apiVersion and kind: the message named after the kind in the proto
/// package of its group/version (k8s.io.api.apps.v1 for apps/v1), and the meta.k8s.io kinds every group/version
/// carries (Status, DeleteOptions, WatchEvent, ...) from apimachinery's meta/v1.
/// </summary>
internal static class ProtobufMessages
{
    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1";

    // The proto package of each group, where it is not k8s.io.api.<first label of the group>.
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        [""] = "k8s.io.api.core",
        ["rbac.authorization.k8s.io"] = "k8s.io.api.rbac",
        ["apiextensions.k8s.io"] = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions",
        ["apiregistration.k8s.io"] = "k8s.io.kube_aggregator.pkg.apis.apiregistration",
    };

    private static readonly Dictionary<string, MessageDescriptor> ByFullName = Load();

    /// <summary>Every message Navarch knows, by full proto name.</summary>
    public static IReadOnlyDictionary<string, MessageDescriptor> All => ByFullName;

    /// <summary>The message of <paramref name="kind"/> in <paramref name="apiVersion"/>, or null when it has no protobuf encoding.</summary>
    public static MessageDescriptor? Find(string apiVersion, string kind)
    {
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        string group = slash < 0 ? "" : apiVersion[..slash];
        string version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        string package = Packages.TryGetValue(group, out string? known) ? known : "k8s.io.api." + group.Split('.')[0];
        return ByFullName.GetValueOrDefault($"{package}.{version}.{kind}") ?? ByFullName.GetValueOrDefault($"{Meta}.{kind}");
    }

    private static Dictionary<string, MessageDescriptor> Load()
    {
        var all = new Dictionary<string, MessageDescriptor>(StringComparer.Ordinal);
        Assembly assembly = typeof(global::Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Runtime.Unknown).Assembly;
        foreach (Type type in assembly.GetExportedTypes().Where(t => t.Name == "GeneratedReflection"))
        {
            var file = (FileDescriptor)type.GetProperty("Descriptor")!.GetValue(null)!;
            foreach (MessageDescriptor message in file.MessageTypes)
            {
                all[message.FullName] = message;
            }
        }

        return all;
    }
}
