using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Kubelet.Cri;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Node;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// A container's environment as the kubelet makes it (makeEnvironmentVariables): envFrom ConfigMaps and Secrets
/// (with prefix; invalid names skipped with an event), env values with <c>$(VAR)</c> expansion, fieldRef,
/// resourceFieldRef, configMapKeyRef and secretKeyRef (optional or not), then the Service variables not already
/// defined. Also the runAsNonRoot check against the image's user. Failures are <see cref="ContainerConfigException"/>.
/// </summary>
internal sealed partial class ContainerEnvironment(IKubernetes client, CriConnection cri, EventRecorder events, TimeProvider time, string hostIp)
{
    private static readonly TimeSpan ErrorEventInterval = TimeSpan.FromSeconds(60);
    private readonly ConditionalWeakTable<ContainerView, Tuple<string, DateTimeOffset>> _lastErrors = [];

    /// <summary>
    /// The CRI config of a container about to be created — environment, mounts, resources, security — or null when it
    /// cannot be made: then <paramref name="view"/> waits with CreateContainerConfigError and a Failed event says why.
    /// </summary>
    public async Task<ContainerConfig?> ConfigAsync(V1Pod pod, V1Container container, string sandboxId, string imageRef, uint attempt, VolumeManager volumes, ContainerView view, CancellationToken cancellationToken)
    {
        try
        {
            Dictionary<string, string> env = await BuildAsync(pod, container, sandboxId, imageRef, cancellationToken).ConfigureAwait(false);
            ContainerConfig config = PodRuntimeConfig.Container(pod, container, imageRef, attempt, env, volumes.Mounts(pod, container, env));
            _lastErrors.Remove(view);
            return config;
        }
        catch (ContainerConfigException e)
        {
            view.WaitingReason = ContainerConfigException.Reason;
            view.WaitingMessage = e.Message;
            DateTimeOffset now = time.GetUtcNow();
            if (!_lastErrors.TryGetValue(view, out Tuple<string, DateTimeOffset>? last) || last.Item1 != e.Message || now >= last.Item2 + ErrorEventInterval)
            {
                events.Event(pod, "Warning", "Failed", "Error: " + e.Message);
                _lastErrors.AddOrUpdate(view, Tuple.Create(e.Message, now));
            }

            return null;
        }
    }

    /// <summary>Builds the environment of <paramref name="container"/> (in order of definition).</summary>
    public async Task<Dictionary<string, string>> BuildAsync(V1Pod pod, V1Container container, string sandboxId, string imageRef, CancellationToken cancellationToken)
    {
        await VerifyNonRootAsync(pod, container, imageRef, cancellationToken).ConfigureAwait(false);
        string ns = pod.Metadata.NamespaceProperty;
        Dictionary<string, string> services = ContainerEnvironmentServices.For(pod, await ServicesAsync(pod, cancellationToken).ConfigureAwait(false));
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var configMaps = new Dictionary<string, V1ConfigMap?>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, V1Secret?>(StringComparer.Ordinal);

        foreach (V1EnvFromSource from in container.EnvFrom ?? [])
        {
            string prefix = from.Prefix ?? "";
            Dictionary<string, string>? values = null;
            string kind = "", name = "";
            if (from.ConfigMapRef is { } cmRef)
            {
                (kind, name) = ("configMap", cmRef.Name);
                V1ConfigMap? cm = await ConfigMapAsync(configMaps, ns, cmRef.Name, cancellationToken).ConfigureAwait(false);
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
                V1Secret? secret = await SecretAsync(secrets, ns, sRef.Name, cancellationToken).ConfigureAwait(false);
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

        string? podIp = null;
        foreach (V1EnvVar v in container.Env ?? [])
        {
            string? value;
            if (!string.IsNullOrEmpty(v.Value))
            {
                value = Expand(v.Value, env, services);
            }
            else if (v.ValueFrom?.FieldRef is { } field)
            {
                if (field.FieldPath.StartsWith("status.podIP", StringComparison.Ordinal))
                {
                    podIp ??= await PodIpAsync(sandboxId, cancellationToken).ConfigureAwait(false);
                }

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
                V1ConfigMap? cm = await ConfigMapAsync(configMaps, ns, cmKey.Name, cancellationToken).ConfigureAwait(false);
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
                V1Secret? secret = await SecretAsync(secrets, ns, sKey.Name, cancellationToken).ConfigureAwait(false);
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

    /// <summary>kubelet's verifyRunAsNonRoot: a runAsNonRoot container must not run as uid 0, nor as a user it cannot check.</summary>
    private async Task VerifyNonRootAsync(V1Pod pod, V1Container container, string imageRef, CancellationToken cancellationToken)
    {
        bool? nonRoot = container.SecurityContext?.RunAsNonRoot ?? pod.Spec.SecurityContext?.RunAsNonRoot;
        if (nonRoot != true)
        {
            return;
        }

        string who = $"(pod: \"{pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})\", container: {container.Name})";
        long? runAs = container.SecurityContext?.RunAsUser ?? pod.Spec.SecurityContext?.RunAsUser;
        if (runAs is long uid)
        {
            if (uid == 0)
            {
                throw new ContainerConfigException($"container's runAsUser breaks non-root policy {who}");
            }

            return;
        }

        ImageStatusResponse status = await cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = imageRef } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (status.Image?.Uid is { } imageUid)
        {
            if (imageUid.Value == 0)
            {
                throw new ContainerConfigException($"container has runAsNonRoot and image will run as root {who}");
            }

            return;
        }

        if (status.Image?.Username is { Length: > 0 } user)
        {
            throw new ContainerConfigException($"container has runAsNonRoot and image has non-numeric user ({user}), cannot verify user is non-root {who}");
        }

        throw new ContainerConfigException($"container has runAsNonRoot and image will run as root {who}");
    }

    private async Task<List<V1Service>> ServicesAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty;
        var list = new List<V1Service>();
        if (pod.Spec.EnableServiceLinks != false)
        {
            list.AddRange((await client.CoreV1.ListNamespacedServiceAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items);
        }

        if (ns != "default" || pod.Spec.EnableServiceLinks == false)
        {
            try
            {
                list.Add(await client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default", cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }

        return list;
    }

    private async Task<string?> PodIpAsync(string sandboxId, CancellationToken cancellationToken)
    {
        try
        {
            PodSandboxStatusResponse status = await cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return status.Status?.Network?.Ip;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<V1ConfigMap?> ConfigMapAsync(Dictionary<string, V1ConfigMap?> cache, string ns, string name, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(name, out V1ConfigMap? cm))
        {
            try
            {
                cm = await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                cm = null;
            }

            cache[name] = cm;
        }

        return cm;
    }

    private async Task<V1Secret?> SecretAsync(Dictionary<string, V1Secret?> cache, string ns, string name, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(name, out V1Secret? secret))
        {
            try
            {
                secret = await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                secret = null;
            }

            cache[name] = secret;
        }

        return secret;
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
