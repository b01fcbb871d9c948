using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Kubelet.Cache;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// A container's environment as the kubelet makes it (makeEnvironmentVariables): envFrom ConfigMaps and Secrets
/// (with prefix; invalid names skipped with an event), env values with <c>$(VAR)</c> expansion, fieldRef,
/// resourceFieldRef, configMapKeyRef and secretKeyRef (optional or not), then the Service variables not already
/// defined. ConfigMaps, Secrets and Services come from the <see cref="PodObjectCache"/>. A missing source is a
/// <see cref="ContainerConfigException"/> with Kubernetes' message.
/// </summary>
internal sealed partial class ContainerEnvironment(PodObjectCache objects, EventRecorder events, string hostIp)
{
    /// <summary>
    /// Builds the environment of <paramref name="container"/> (in order of definition); <paramref name="podIp"/> is
    /// the sandbox's IP as the runtime reported it, for <c>status.podIP</c>.
    /// </summary>
    public Dictionary<string, string> Build(V1Pod pod, V1Container container, string? podIp)
    {
        string ns = pod.Metadata.NamespaceProperty;
        Dictionary<string, string> services = ContainerEnvironmentServices.For(pod, Services(pod));
        var env = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (V1EnvFromSource from in container.EnvFrom ?? [])
        {
            string prefix = from.Prefix ?? "";
            Dictionary<string, string>? values = null;
            string kind = "", name = "";
            if (from.ConfigMapRef is { } cmRef)
            {
                (kind, name) = ("configMap", cmRef.Name);
                V1ConfigMap? cm = objects.ConfigMap(ns, cmRef.Name);
                if (cm is null)
                {
                    if (cmRef.Optional == true)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"configmap \"{cmRef.Name}\" not found");
                }

                values = new Dictionary<string, string>(cm.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            }
            else if (from.SecretRef is { } sRef)
            {
                (kind, name) = ("secret", sRef.Name);
                V1Secret? secret = objects.Secret(ns, sRef.Name);
                if (secret is null)
                {
                    if (sRef.Optional == true)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"secret \"{sRef.Name}\" not found");
                }

                values = SecretValues(secret);
            }

            var invalid = new List<string>();
            foreach ((string key, string value) in values ?? [])
            {
                string k = prefix + key;
                if (!IsEnvVarName(k))
                {
                    invalid.Add(k);
                    continue;
                }

                env[k] = value;
            }

            if (invalid.Count > 0)
            {
                invalid.Sort(StringComparer.Ordinal);
                events.Event(pod, "Warning", "InvalidEnvironmentVariableNames", $"Keys [{string.Join(", ", invalid)}] from the EnvFrom {kind} {ns}/{name} were skipped since they are considered invalid environment variable names.");
            }
        }

        foreach (V1EnvVar v in container.Env ?? [])
        {
            string? value;
            if (!string.IsNullOrEmpty(v.Value))
            {
                value = Expand(v.Value, env, services);
            }
            else if (v.ValueFrom?.FieldRef is { } field)
            {
                value = DownwardApi.Field(pod, field.FieldPath, podIp, hostIp)
                    ?? throw new ContainerConfigException($"unsupported fieldPath: {field.FieldPath}");
            }
            else if (v.ValueFrom?.ResourceFieldRef is { } resource)
            {
                string target = string.IsNullOrEmpty(resource.ContainerName) ? container.Name : resource.ContainerName;
                value = DownwardApi.Resource(pod, target, resource.Resource, resource.Divisor)
                    ?? throw new ContainerConfigException($"unsupported container resource: {resource.Resource}");
            }
            else if (v.ValueFrom?.ConfigMapKeyRef is { } cmKey)
            {
                V1ConfigMap? cm = objects.ConfigMap(ns, cmKey.Name);
                if (cm is null)
                {
                    if (cmKey.Optional == true)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"couldn't get configMap {ns}/{cmKey.Name}: configmap \"{cmKey.Name}\" not found");
                }

                if (cm.Data?.TryGetValue(cmKey.Key, out value) != true)
                {
                    if (cmKey.Optional == true)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"couldn't find key {cmKey.Key} in ConfigMap {ns}/{cmKey.Name}");
                }
            }
            else if (v.ValueFrom?.SecretKeyRef is { } sKey)
            {
                V1Secret? secret = objects.Secret(ns, sKey.Name);
                if (secret is null)
                {
                    if (sKey.Optional == true)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"couldn't get secret {ns}/{sKey.Name}: secret \"{sKey.Name}\" not found");
                }

                if (!SecretValues(secret).TryGetValue(sKey.Key, out value))
                {
                    if (sKey.Optional == true)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"couldn't find key {sKey.Key} in Secret {ns}/{sKey.Name}");
                }
            }
            else
            {
                value = "";
            }

            env[v.Name] = value ?? "";
        }

        foreach ((string key, string value) in services)
        {
            env.TryAdd(key, value);
        }

        return env;
    }

    /// <summary>$(VAR) expansion of an env value: earlier variables first, then the Service variables.</summary>
    private static string Expand(string value, Dictionary<string, string> env, Dictionary<string, string> services)
    {
        if (!value.Contains("$(", StringComparison.Ordinal))
        {
            return PodRuntimeConfig.Expand(value, env);
        }

        var both = new Dictionary<string, string>(services, StringComparer.Ordinal);
        foreach ((string key, string v) in env)
        {
            both[key] = v;
        }

        return PodRuntimeConfig.Expand(value, both);
    }

    /// <summary>
    /// The Services a pod's variables come from: with enableServiceLinks (true or unset) those of its namespace, and
    /// <c>kubernetes</c> of the default namespace.
    /// </summary>
    private List<V1Service> Services(V1Pod pod)
    {
        string ns = pod.Metadata.NamespaceProperty;
        var list = new List<V1Service>();
        if (pod.Spec.EnableServiceLinks != false)
        {
            list.AddRange(objects.Services(ns));
        }

        if ((ns != "default" || pod.Spec.EnableServiceLinks == false) && objects.Service("default", "kubernetes") is { } kubernetes)
        {
            list.Add(kubernetes);
        }

        return list;
    }

    private static Dictionary<string, string> SecretValues(V1Secret secret)
    {
        var values = new Dictionary<string, string>(secret.StringData ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (KeyValuePair<string, byte[]> kv in secret.Data ?? new Dictionary<string, byte[]>())
        {
            values[kv.Key] = Encoding.UTF8.GetString(kv.Value ?? []);
        }

        return values;
    }

    /// <summary>Kubernetes' IsEnvVarName: letters, digits, '_', '-', '.', not starting with a digit.</summary>
    internal static bool IsEnvVarName(string name) => EnvVarName().IsMatch(name);

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex EnvVarName();
}
