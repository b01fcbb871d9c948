using System.Globalization;
using System.Net;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Node;

/// <summary>
/// Registers this machine's Node, keeps its Lease in kube-node-lease renewed, and posts its status (capacity,
/// allocatable, nodeInfo, addresses, conditions, images) — the kubelet's node status manager and lease controller.
/// </summary>
internal sealed partial class NodeStatusReporter(IKubernetes client, IRuntimeService runtime, IImageService images, KubeletOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>The kubelet version reported in nodeInfo.</summary>
    public const string KubeletVersion = "v1.32.0";

    private const string LeaseNamespace = "kube-node-lease";

    /// <summary>The registered Node (spec.podCIDR may be set by the IPAM controller).</summary>
    public V1Node? Node { get; private set; }

    /// <summary>The mounted volumes to report in status.volumesInUse (the volume manager's); none until set.</summary>
    public Func<IReadOnlyList<string>>? VolumesInUse { get; set; }

    /// <summary>Creates the Node if it does not exist, then posts the first status.</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var node = new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = options.NodeName,
                Labels = new Dictionary<string, string>(options.NodeLabels)
                {
                    ["kubernetes.io/hostname"] = options.NodeName,
                    ["kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = OciPlatform.CurrentArchitecture,
                    ["beta.kubernetes.io/os"] = "linux",
                    ["beta.kubernetes.io/arch"] = OciPlatform.CurrentArchitecture,
                },
            },
            Spec = new V1NodeSpec(),
        };
        // As the kubelet's registerWithAPIServer: a control plane that is restarting or electing its store's leader is
        // waited for, not a reason to end.
        await Navarch.Client.StartupRetry.UntilDoneAsync(
            async ct =>
            {
                try
                {
                    Node = await client.CoreV1.CreateNodeAsync(node, cancellationToken: ct).ConfigureAwait(false);
                    LogRegistered(logger, options.NodeName);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    Node = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: ct).ConfigureAwait(false);
                }

                await UpdateStatusAsync(ct).ConfigureAwait(false);
            },
            e => LogRegistrationRetry(logger, options.NodeName, e.Message),
            cancellationToken,
            time).ConfigureAwait(false);
    }

    /// <summary>Renews the Lease and posts the status until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Task lease = LoopAsync(options.LeaseRenewInterval, RenewLeaseAsync, cancellationToken);
        Task status = LoopAsync(options.StatusUpdateInterval, UpdateStatusAsync, cancellationToken);
        await Task.WhenAll(lease, status).ConfigureAwait(false);
    }

    private async Task LoopAsync(TimeSpan interval, Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Whatever fails, the heartbeat goes on: a node that stops reporting is declared lost.
                LogFailed(logger, e.Message);
            }

            try
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Creates or renews this node's Lease (holder = node name).</summary>
    public async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        int duration = (int)Math.Ceiling(options.LeaseRenewInterval.TotalSeconds * 4);
        try
        {
            V1Lease lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.NodeName, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            lease.Spec ??= new V1LeaseSpec();
            lease.Spec.HolderIdentity = options.NodeName;
            lease.Spec.LeaseDurationSeconds = duration;
            lease.Spec.RenewTime = now;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.NodeName, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            var lease = new V1Lease
            {
                ApiVersion = "coordination.k8s.io/v1",
                Kind = "Lease",
                Metadata = new V1ObjectMeta
                {
                    Name = options.NodeName,
                    NamespaceProperty = LeaseNamespace,
                    OwnerReferences = Node is null ? null : [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = Node.Metadata.Name, Uid = Node.Metadata.Uid }],
                },
                Spec = new V1LeaseSpec { HolderIdentity = options.NodeName, LeaseDurationSeconds = duration, RenewTime = now, AcquireTime = now },
            };
            await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Posts the node status through the status subresource.</summary>
    public async Task UpdateStatusAsync(CancellationToken cancellationToken)
    {
        VersionResponse version = await runtime.VersionAsync("v1", cancellationToken).ConfigureAwait(false);
        StatusResponse runtimeStatus = await runtime.StatusAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<Image> present = await images.ListImagesAsync(null, cancellationToken).ConfigureAwait(false);
        V1Node current = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        Node = current;

        DateTime now = time.GetUtcNow().UtcDateTime;
        NodeReadings readings = options.Readings(options.DataDir);
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(HostInfo.CpuCount.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new($"{readings.MemoryCapacity / 1024}Ki"),
            ["ephemeral-storage"] = new($"{readings.NodeFsCapacity / 1024}Ki"),
            ["pods"] = new("110"),
        };

        // Ready needs the runtime and its network; the CRI reports both as conditions.
        RuntimeCondition? notReady = runtimeStatus.Status?.Conditions.FirstOrDefault(c => !c.Status && c.Type is "RuntimeReady" or "NetworkReady");
        var conditions = new List<V1NodeCondition>
        {
            Condition(current, "Ready", notReady is null ? "True" : "False", notReady is null ? "KubeletReady" : "KubeletNotReady", notReady is null ? "kubelet is posting ready status" : $"container runtime not ready: {notReady.Type}: {notReady.Message}", now),
        };
        foreach ((string type, bool pressure, string reason, string message) in NodeAllocatable.Pressure(readings, options.EvictionHard))
        {
            conditions.Add(Condition(current, type, pressure ? "True" : "False", reason, message, now));
        }

        var status = new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = NodeAllocatable.Compute(capacity, options.KubeReserved, options.SystemReserved, options.EvictionHard),
            Conditions = conditions,
            Addresses = [new V1NodeAddress { Address = options.InternalIp, Type = "InternalIP" }, new V1NodeAddress { Address = options.NodeName, Type = "Hostname" }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = options.KubeletPort } },
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = OciPlatform.CurrentArchitecture,
                OperatingSystem = "linux",
                OsImage = HostInfo.OsImage(),
                KernelVersion = HostInfo.KernelVersion(),
                MachineID = HostInfo.MachineId(),
                SystemUUID = HostInfo.MachineId(),
                BootID = HostInfo.BootId(),
                KubeletVersion = KubeletVersion,
                KubeProxyVersion = "",
                ContainerRuntimeVersion = $"{version.RuntimeName}://{version.RuntimeVersion}",
            },
            VolumesInUse = [.. VolumesInUse?.Invoke() ?? []],
            Images = [.. present.Select(i => new V1ContainerImage { Names = [.. i.RepoDigests, .. i.RepoTags], SizeBytes = (long)i.Size })],
        };
        // Strategic merge, as the kubelet: conditions merge by type, so those others own (NetworkUnavailable) stay.
        string patch = KubernetesJson.Serialize(new { status });
        Node = await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), options.NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static V1NodeCondition Condition(V1Node current, string type, string status, string reason, string message, DateTime now)
    {
        V1NodeCondition? old = current.Status?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1NodeCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastHeartbeatTime = now,
            LastTransitionTime = old is not null && old.Status == status ? old.LastTransitionTime : now,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unable to register node {Node} with the API server, trying again: {Reason}")]
    private static partial void LogRegistrationRetry(ILogger logger, string node, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered node {Node}")]
    private static partial void LogRegistered(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node status or lease update failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
