using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// Raw block volumes (a PersistentVolume of volumeMode Block used in a container's volumeDevices), as the kubelet's
/// desired-state populator checks them and its local volume plugin maps them: the volume's mode must match how the pod
/// uses it, the local path (a block device, or a link to one) is resolved to the device, and each container gets it as a
/// CRI device at its devicePath.
/// </summary>
internal sealed partial class VolumeManager
{
    /// <summary>kubelet's S_IFMT / S_IFBLK: the file-type bits of st_mode and a block device's type.</summary>
    private const uint FileTypeMask = 0xF000;
    private const uint BlockDeviceType = 0x6000;

    /// <summary>
    /// The device of <paramref name="pv"/> when it is a Block volume the pod uses in volumeDevices; null for a Filesystem
    /// volume used in volumeMounts. A mode the pod uses the volume against is refused with the kubelet's message.
    /// </summary>
    private static (string Path, string? UniqueName)? MapBlockVolume(V1Pod pod, V1Volume volume, V1PersistentVolume pv)
    {
        string mode = string.IsNullOrEmpty(pv.Spec.VolumeMode) ? "Filesystem" : pv.Spec.VolumeMode;
        IEnumerable<V1Container> containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []);
        bool mounted = containers.Any(c => c.VolumeMounts?.Any(m => m.Name == volume.Name) == true);
        bool device = containers.Any(c => c.VolumeDevices?.Any(d => d.Name == volume.Name) == true);
        if (mounted && mode != "Filesystem")
        {
            throw new VolumeSetupException($"volume {volume.Name} has volumeMode {mode}, but is specified in volumeMounts");
        }

        if (device && mode != "Block")
        {
            throw new VolumeSetupException($"volume {volume.Name} has volumeMode {mode}, but is specified in volumeDevices");
        }

        if (mode != "Block")
        {
            return null;
        }

        string pvName = pv.Metadata.Name;
        if (pv.Spec.Local is not { } local)
        {
            throw new VolumeSetupException($"MapVolume.NewBlockVolumeMapper initialization failed for volume \"{pvName}\" : this kubelet maps local block volumes only");
        }

        string path = File.ResolveLinkTarget(local.Path, returnFinalTarget: true)?.FullName ?? local.Path;
        if ((PosixFiles.StatMode(path) & FileTypeMask) != BlockDeviceType)
        {
            throw new VolumeSetupException($"MapVolume.MapPodDevice failed for volume \"{pvName}\" : path \"{local.Path}\" is not a block device");
        }

        return (path, "kubernetes.io/local-volume/" + pvName);
    }

    /// <summary>
    /// The CRI devices for <paramref name="container"/>'s volumeDevices (volumes must be set up): read, write and mknod,
    /// or read only when the pod's claim is readOnly, as the kubelet's makeBlockVolumes.
    /// </summary>
    /// <exception cref="ContainerConfigException">A volumeDevice names a volume that is not a mapped block volume.</exception>
    public List<Device> Devices(V1Pod pod, V1Container container)
    {
        var devices = new List<Device>();
        _pods.TryGetValue(pod.Metadata.Uid, out PodVolumes? state);
        foreach (V1VolumeDevice vd in container.VolumeDevices ?? [])
        {
            V1Volume? volume = pod.Spec.Volumes?.FirstOrDefault(v => v.Name == vd.Name);
            if (volume is null || state is null || !state.Paths.TryGetValue(vd.Name, out string? hostPath))
            {
                throw new ContainerConfigException($"cannot find volume \"{vd.Name}\" to pass into container \"{container.Name}\"");
            }

            devices.Add(new Device
            {
                ContainerPath = vd.DevicePath,
                HostPath = hostPath,
                Permissions = volume.PersistentVolumeClaim?.ReadOnlyProperty == true ? "r" : "mrw",
            });
        }

        return devices;
    }
}
