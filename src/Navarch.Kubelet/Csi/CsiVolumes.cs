using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Storage;
using Navarch.Kubelet.Csi.V1;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The kubelet's CSI volume plugin (csi_attacher's MountDevice/UnmountDevice and csi_mounter's SetUp/TearDown): a
/// volume whose driver needs attaching waits for its VolumeAttachment's <c>status.attached</c>; it is staged with
/// NodeStageVolume at <c>plugins/kubernetes.io/csi/DRIVER/sha256(handle)/globalmount</c> when the driver has
/// STAGE_UNSTAGE_VOLUME, and published with NodePublishVolume at the pod's
/// <c>volumes/kubernetes.io~csi/NAME/mount</c>, whose <c>vol_data.json</c> beside it lets tear-down (also after a
/// restart) unpublish it, and unstage it once no pod on the node publishes that volume any more.
/// </summary>
internal sealed partial class CsiVolumes(IKubernetes client, CsiDrivers drivers, string kubeletRoot, string nodeName, ILogger logger)
{
    /// <summary>The plugin folder name in a pod's volumes folder.</summary>
    public const string PluginDir = "kubernetes.io~csi";

    private const string DataFile = "vol_data.json";

    // The data dir is private (the agent's folders are 0700); the driver and the container runtime run as root.
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The volume's unique name, as in the node's volumesInUse and volumesAttached.</summary>
    public static string UniqueName(string driver, string volumeHandle) => CsiVolumeNames.UniqueName(driver, volumeHandle);

    /// <summary>The VolumeAttachment name the attach-detach controller and the kubelet agree on (csi-sha256(handle+driver+node)).</summary>
    public static string AttachmentName(string volumeHandle, string driver, string node) => CsiVolumeNames.AttachmentName(volumeHandle, driver, node);

    /// <summary>An inline ephemeral volume's handle (csi-sha256(pod UID + volume name)).</summary>
    public static string EphemeralHandle(string podUid, string volumeName) => "csi-" + Sha256(podUid + volumeName);

    /// <summary>Where a volume is staged for every pod on the node.</summary>
    public string StagingPath(string driver, string volumeHandle) =>
        Path.Combine(kubeletRoot, "plugins", "kubernetes.io", "csi", driver, Sha256(volumeHandle), "globalmount");

    /// <summary>
    /// Attaches (waits for), stages and publishes the volume at <paramref name="volumeDir"/>/mount, which it returns
    /// with the driver's fsGroupPolicy.
    /// </summary>
    /// <exception cref="VolumeSetupException">With the driver's error; the pod waits and the kubelet retries.</exception>
    public async Task<(string Path, string FsGroupPolicy)> SetUpAsync(CsiMountRequest request, string volumeDir, CancellationToken cancellationToken)
    {
        CsiDriverClient driver = drivers.Get(request.Driver)
            ?? throw new VolumeSetupException($"kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name {request.Driver} not found in the list of registered CSI drivers");
        V1CSIDriver? csiDriver = await ReadCsiDriverAsync(request.Driver, cancellationToken).ConfigureAwait(false);
        string fsGroupPolicy = csiDriver?.Spec.FsGroupPolicy ?? "ReadWriteOnceWithFSType";
        if (request.Ephemeral)
        {
            IList<string> modes = csiDriver?.Spec.VolumeLifecycleModes ?? ["Persistent"];
            if (csiDriver is null || !modes.Contains("Ephemeral"))
            {
                throw new VolumeSetupException($"volume mode \"Ephemeral\" not supported by driver {request.Driver} ({(csiDriver is null ? "no CSIDriver object" : $"only supports [{string.Join(" ", modes)}]")})");
            }
        }

        var publishContext = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!request.Ephemeral && csiDriver?.Spec.AttachRequired != false)
        {
            publishContext = await WaitForAttachAsync(request, cancellationToken).ConfigureAwait(false);
        }

        VolumeCapability capability = Capability(request);
        string staging = "";
        if (!request.Ephemeral && await Call(request, "MountDevice", () => driver.NodeSupportsAsync(NodeServiceCapability.Types.RPC.Types.Type.StageUnstageVolume, cancellationToken)).ConfigureAwait(false))
        {
            staging = StagingPath(request.Driver, request.VolumeHandle);
            Directory.CreateDirectory(staging, OwnerOnlyDirectory);
            var stage = new NodeStageVolumeRequest { VolumeId = request.VolumeHandle, StagingTargetPath = staging, VolumeCapability = capability };
            stage.PublishContext.Add(publishContext);
            stage.VolumeContext.Add(new Dictionary<string, string>(request.VolumeAttributes));
            stage.Secrets.Add(await SecretAsync(request.StageSecret, "NodeStageSecretRef", cancellationToken).ConfigureAwait(false));
            await Call(request, "MountDevice", async () => await driver.Node.NodeStageVolumeAsync(stage, cancellationToken: cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }

        string target = Path.Combine(volumeDir, "mount");
        Directory.CreateDirectory(volumeDir, OwnerOnlyDirectory);
        await File.WriteAllTextAsync(Path.Combine(volumeDir, DataFile), JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["specVolumeID"] = request.SpecName,
            ["volumeHandle"] = request.VolumeHandle,
            ["driverName"] = request.Driver,
            ["nodeName"] = nodeName,
            ["volumeLifecycleMode"] = request.Ephemeral ? "Ephemeral" : "Persistent",
            ["stagingTargetPath"] = staging,
        }), cancellationToken).ConfigureAwait(false);

        var publish = new NodePublishVolumeRequest
        {
            VolumeId = request.VolumeHandle,
            StagingTargetPath = staging,
            TargetPath = target,
            VolumeCapability = capability,
            Readonly = request.ReadOnly,
        };
        publish.PublishContext.Add(publishContext);
        publish.VolumeContext.Add(new Dictionary<string, string>(request.VolumeAttributes));
        if (csiDriver?.Spec.PodInfoOnMount == true)
        {
            V1Pod pod = request.Pod;
            publish.VolumeContext["csi.storage.k8s.io/pod.name"] = pod.Metadata.Name;
            publish.VolumeContext["csi.storage.k8s.io/pod.namespace"] = pod.Metadata.NamespaceProperty;
            publish.VolumeContext["csi.storage.k8s.io/pod.uid"] = pod.Metadata.Uid;
            publish.VolumeContext["csi.storage.k8s.io/serviceAccount.name"] = pod.Spec.ServiceAccountName ?? "default";
            publish.VolumeContext["csi.storage.k8s.io/ephemeral"] = request.Ephemeral ? "true" : "false";
        }

        publish.Secrets.Add(await SecretAsync(request.PublishSecret, "NodePublishSecretRef", cancellationToken).ConfigureAwait(false));
        await Call(request, "SetUp", async () => await driver.Node.NodePublishVolumeAsync(publish, cancellationToken: cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        LogPublished(logger, request.Driver, request.VolumeHandle, target);
        return (target, fsGroupPolicy);
    }

    /// <summary>
    /// Unpublishes every CSI volume of the pod whose volumes folder is <paramref name="podVolumesDir"/>, and unstages
    /// those no other pod publishes. Errors are logged; the caller's unmount sweep still detaches what is left.
    /// </summary>
    public async Task TearDownPodAsync(string podVolumesDir, CancellationToken cancellationToken)
    {
        string csiDir = Path.Combine(podVolumesDir, PluginDir);
        if (!Directory.Exists(csiDir))
        {
            return;
        }

        foreach (string volumeDir in Directory.EnumerateDirectories(csiDir))
        {
            if (ReadData(volumeDir) is not { } data)
            {
                continue;
            }

            string driverName = data.GetValueOrDefault("driverName", "");
            string handle = data.GetValueOrDefault("volumeHandle", "");
            try
            {
                CsiDriverClient driver = drivers.Get(driverName)
                    ?? throw new InvalidOperationException($"driver name {driverName} not found in the list of registered CSI drivers");
                await driver.Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = handle, TargetPath = Path.Combine(volumeDir, "mount") }, cancellationToken: cancellationToken).ConfigureAwait(false);
                File.Delete(Path.Combine(volumeDir, DataFile));
                LogUnpublished(logger, driverName, handle);
                string staging = data.GetValueOrDefault("stagingTargetPath", "");
                if (staging.Length > 0 && !PublishedElsewhere(driverName, handle))
                {
                    await driver.Node.NodeUnstageVolumeAsync(new NodeUnstageVolumeRequest { VolumeId = handle, StagingTargetPath = staging }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    LogUnstaged(logger, driverName, handle);
                }
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                LogTearDownFailed(logger, driverName, handle, e.Message);
            }
        }
    }

    /// <summary>Whether any pod on the node still has <paramref name="handle"/> of <paramref name="driver"/> published.</summary>
    private bool PublishedElsewhere(string driver, string handle) => Published(kubeletRoot, driver, handle).Any();

    /// <summary>
    /// Where pods on the node under <paramref name="root"/> have <paramref name="handle"/> of <paramref name="driver"/>
    /// published: the pod's UID, its target path and the staging path (empty when the driver does not stage).
    /// </summary>
    public static IEnumerable<(string PodUid, string TargetPath, string StagingPath)> Published(string root, string driver, string handle)
    {
        string pods = Path.Combine(root, "pods");
        if (!Directory.Exists(pods))
        {
            yield break;
        }

        foreach (string pod in Directory.EnumerateDirectories(pods))
        {
            string csiDir = Path.Combine(pod, "volumes", PluginDir);
            if (!Directory.Exists(csiDir))
            {
                continue;
            }

            foreach (string volumeDir in Directory.EnumerateDirectories(csiDir))
            {
                if (ReadData(volumeDir) is { } d && d.GetValueOrDefault("driverName") == driver && d.GetValueOrDefault("volumeHandle") == handle)
                {
                    yield return (Path.GetFileName(pod), Path.Combine(volumeDir, "mount"), d.GetValueOrDefault("stagingTargetPath", ""));
                }
            }
        }
    }

    private static Dictionary<string, string>? ReadData(string volumeDir)
    {
        string file = Path.Combine(volumeDir, DataFile);
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<Dictionary<string, string>> WaitForAttachAsync(CsiMountRequest request, CancellationToken cancellationToken)
    {
        string name = AttachmentName(request.VolumeHandle, request.Driver, nodeName);
        V1VolumeAttachment attachment;
        try
        {
            attachment = await client.StorageV1.ReadVolumeAttachmentAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new VolumeSetupException($"AttachVolume.Attach failed for volume \"{request.SpecName}\" : volume attachment {name} not found yet");
        }

        if (attachment.Metadata.DeletionTimestamp is not null)
        {
            throw new VolumeSetupException($"AttachVolume.Attach failed for volume \"{request.SpecName}\" : volume attachment is being deleted");
        }

        if (attachment.Status?.Attached != true)
        {
            string detail = attachment.Status?.AttachError?.Message is { Length: > 0 } error ? $"attachment error: {error}" : "not attached yet";
            throw new VolumeSetupException($"AttachVolume.Attach failed for volume \"{request.SpecName}\" : volume attachment {name}: {detail}");
        }

        return new Dictionary<string, string>(attachment.Status.AttachmentMetadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
    }

    private async Task<V1CSIDriver?> ReadCsiDriverAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.StorageV1.ReadCSIDriverAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<Dictionary<string, string>> SecretAsync((string Namespace, string Name)? reference, string field, CancellationToken cancellationToken)
    {
        if (reference is not { } r)
        {
            return [];
        }

        try
        {
            V1Secret secret = await client.CoreV1.ReadNamespacedSecretAsync(r.Name, r.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value), StringComparer.Ordinal);
        }
        catch (HttpOperationException e)
        {
            throw new VolumeSetupException($"fetching {field} {r.Namespace}/{r.Name} failed: {(e.Response.StatusCode == HttpStatusCode.NotFound ? $"secrets \"{r.Name}\" not found" : $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}")}");
        }
    }

    /// <summary>The kubelet's volume capability: mount (fsType, mount flags) and the CSI access mode of the PV's first mode.</summary>
    private static VolumeCapability Capability(CsiMountRequest request)
    {
        var mount = new VolumeCapability.Types.MountVolume { FsType = request.FsType };
        mount.MountFlags.Add(request.MountOptions);
        return new VolumeCapability
        {
            Mount = mount,
            AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode(request.AccessMode) },
        };
    }

    /// <summary>A Kubernetes access mode as the CSI one (asCSIAccessModeV1, without the single-node-multi-writer capability).</summary>
    public static VolumeCapability.Types.AccessMode.Types.Mode AccessMode(string? mode) => mode switch
    {
        "ReadOnlyMany" => VolumeCapability.Types.AccessMode.Types.Mode.MultiNodeReaderOnly,
        "ReadWriteMany" => VolumeCapability.Types.AccessMode.Types.Mode.MultiNodeMultiWriter,
        _ => VolumeCapability.Types.AccessMode.Types.Mode.SingleNodeWriter,
    };

    /// <summary>Runs a driver call, turning its gRPC error into the kubelet's FailedMount text.</summary>
    private static async Task<T> Call<T>(CsiMountRequest request, string operation, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new VolumeSetupException($"MountVolume.{operation} failed for volume \"{request.SpecName}\" : rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
        }
    }

    private static string Sha256(string text) => CsiVolumeNames.Sha256(text);

    [LoggerMessage(Level = LogLevel.Information, Message = "CSI volume {Driver}/{Handle} published at {Target}")]
    private static partial void LogPublished(ILogger logger, string driver, string handle, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "CSI volume {Driver}/{Handle} unpublished")]
    private static partial void LogUnpublished(ILogger logger, string driver, string handle);

    [LoggerMessage(Level = LogLevel.Information, Message = "CSI volume {Driver}/{Handle} unstaged")]
    private static partial void LogUnstaged(ILogger logger, string driver, string handle);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tearing down CSI volume {Driver}/{Handle} failed: {Error}")]
    private static partial void LogTearDownFailed(ILogger logger, string driver, string handle, string error);
}
