using System.Globalization;
using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>Translates a Pod's spec into CRI sandbox and container configs.</summary>
internal static class PodRuntimeConfig
{
    public static string LogDirectory(KubeletOptions options, V1Pod pod) =>
        Path.Combine(options.PodLogsDir, $"{pod.Metadata.NamespaceProperty}_{pod.Metadata.Name}_{pod.Metadata.Uid}");

    public static PodSandboxConfig Sandbox(KubeletOptions options, V1Pod pod, uint attempt)
    {
        V1PodSpec spec = pod.Spec;
        bool hostNetwork = spec.HostNetwork == true;
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = pod.Metadata.Name, Namespace = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid, Attempt = attempt },
            Hostname = hostNetwork ? "" : Truncate(spec.Hostname ?? pod.Metadata.Name, 63),
            LogDirectory = LogDirectory(options, pod),
            DnsConfig = PodDns.Sandbox(options, pod),
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = SecurityContexts.Sandbox(pod),
            },
        };
        AddIdentity(config.Labels, pod);
        foreach (KeyValuePair<string, string> label in pod.Metadata.Labels ?? new Dictionary<string, string>())
        {
            config.Labels.TryAdd(label.Key, label.Value);
        }

        foreach (KeyValuePair<string, string> annotation in pod.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            config.Annotations[annotation.Key] = annotation.Value;
        }

        foreach (V1Container c in spec.Containers)
        {
            foreach (V1ContainerPort port in c.Ports ?? [])
            {
                if (port.HostPort is > 0)
                {
                    config.PortMappings.Add(new PortMapping
                    {
                        ContainerPort = port.ContainerPort,
                        HostPort = port.HostPort.Value,
                        HostIp = port.HostIP ?? "",
                        Protocol = port.Protocol switch { "UDP" => Protocol.Udp, "SCTP" => Protocol.Sctp, _ => Protocol.Tcp },
                    });
                }
            }
        }

        return config;
    }

    /// <summary>
    /// The CRI config of <paramref name="container"/>: its resolved environment (see <see cref="ContainerEnvironment"/>)
    /// with $(VAR) expanded in command and args, its volume mounts, cgroup resources and security context.
    /// </summary>
    public static ContainerConfig Container(V1Pod pod, V1Container container, string imageRef, uint attempt, IReadOnlyDictionary<string, string> env, IEnumerable<Mount> mounts)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = attempt },
            Image = new ImageSpec { Image = imageRef, UserSpecifiedImage = container.Image },
            WorkingDir = container.WorkingDir ?? "",
            LogPath = Path.Combine(container.Name, $"{attempt.ToString(CultureInfo.InvariantCulture)}.log"),
            Stdin = container.Stdin == true,
            StdinOnce = container.StdinOnce == true,
            Tty = container.Tty == true,
            Linux = new LinuxContainerConfig
            {
                Resources = Resources(pod, container),
                SecurityContext = SecurityContexts.Container(pod, container),
            },
        };
        config.Mounts.AddRange(mounts);
        config.Command.AddRange((container.Command ?? []).Select(s => Expand(s, env)));
        config.Args.AddRange((container.Args ?? []).Select(s => Expand(s, env)));
        config.Envs.AddRange(env.Select(e => new KeyValue { Key = e.Key, Value = e.Value }));
        AddIdentity(config.Labels, pod);
        config.Labels[CriLabels.ContainerName] = container.Name;
        config.Annotations["io.kubernetes.container.restartCount"] = attempt.ToString(CultureInfo.InvariantCulture);
        config.Annotations["io.kubernetes.container.terminationMessagePath"] = container.TerminationMessagePath ?? "/dev/termination-log";
        return config;
    }

    private static void AddIdentity(Google.Protobuf.Collections.MapField<string, string> labels, V1Pod pod)
    {
        labels[CriLabels.PodName] = pod.Metadata.Name;
        labels[CriLabels.PodNamespace] = pod.Metadata.NamespaceProperty;
        labels[CriLabels.PodUid] = pod.Metadata.Uid;
        labels[CriLabels.ManagedBy] = "true";
    }

    private static LinuxContainerResources Resources(V1Pod pod, V1Container container)
    {
        var r = new LinuxContainerResources { OomScoreAdj = OomScoreAdj(pod, container) };
        IDictionary<string, ResourceQuantity>? requests = container.Resources?.Requests;
        IDictionary<string, ResourceQuantity>? limits = container.Resources?.Limits;
        ResourceQuantity? cpuRequest = requests?.TryGetValue("cpu", out ResourceQuantity? rq) == true ? rq : limits?.TryGetValue("cpu", out ResourceQuantity? lq) == true ? lq : null;

        // The kubelet's formulas: shares = milliCPU * 1024 / 1000 (2..262144), quota = milliCPU * period / 1000 (at least
        // 1000), in 128 bits so that no stored quantity, however large, can overflow them.
        r.CpuShares = cpuRequest is null ? 2 : (long)Int128.Clamp((Int128)MilliCpu(cpuRequest) * 1024 / 1000, 2, 262_144);
        if (limits?.TryGetValue("cpu", out ResourceQuantity? cpuLimit) == true)
        {
            r.CpuPeriod = 100_000;
            r.CpuQuota = (long)Int128.Clamp((Int128)MilliCpu(cpuLimit) * 100_000 / 1000, 1000, long.MaxValue);
        }

        if (limits?.TryGetValue("memory", out ResourceQuantity? memory) == true)
        {
            r.MemoryLimitInBytes = memory.ToQuantity().Value;
        }

        return r;
    }

    /// <summary>
    /// The kubelet's OOM score policy by QoS: Guaranteed -997, BestEffort 1000, Burstable 1000 - 1000 * memory
    /// request / node memory, kept within 2..999 so a Burstable container dies before a Guaranteed one.
    /// </summary>
    internal static long OomScoreAdj(V1Pod pod, V1Container container)
    {
        switch (PodStatusBuilder.QosClass(pod))
        {
            case "Guaranteed":
                return -997;
            case "BestEffort":
                return 1000;
        }

        long capacity = Node.HostInfo.MemoryBytes();
        long request = container.Resources?.Requests?.TryGetValue("memory", out ResourceQuantity? m) == true ? m.ToQuantity().Value : 0;
        Int128 score = capacity > 0 ? 1000 - (1000 * (Int128)request / capacity) : 1000;
        return (long)Int128.Clamp(score, 2, 999);
    }

    private static long MilliCpu(ResourceQuantity q) => q.ToQuantity().MilliValue;

    /// <summary>Kubernetes' $(VAR) expansion: known variables are replaced, $$ escapes, unknown references stay.</summary>
    internal static string Expand(string input, IReadOnlyDictionary<string, string> env)
    {
        var b = new System.Text.StringBuilder(input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] == '$' && i + 1 < input.Length)
            {
                if (input[i + 1] == '$')
                {
                    b.Append('$');
                    i++;
                    continue;
                }

                if (input[i + 1] == '(')
                {
                    int close = input.IndexOf(')', i + 2);
                    if (close > 0 && env.TryGetValue(input[(i + 2)..close], out string? value))
                    {
                        b.Append(value);
                        i = close;
                        continue;
                    }
                }
            }

            b.Append(input[i]);
        }

        return b.ToString();
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max].TrimEnd('-', '.');
}
