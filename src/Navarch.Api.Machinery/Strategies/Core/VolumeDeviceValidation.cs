using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>
/// A container's volumeDevices (raw block volumes) as Kubernetes' ValidateVolumeDevices, and the overlap rules
/// ValidateVolumeMounts has against them: a device names a persistentVolumeClaim or ephemeral volume of the pod once,
/// at a unique devicePath without "..", and neither its volume nor its path is also in the container's volumeMounts.
/// </summary>
internal static class VolumeDeviceValidation
{
    /// <summary>The errors of <paramref name="container"/>'s devices and mounts, reported under <paramref name="at"/> (the container's path).</summary>
    public static IEnumerable<FieldError> Validate(V1Container container, IList<V1Volume>? volumes, string at)
    {
        IList<V1VolumeDevice> devices = container.VolumeDevices ?? [];
        IList<V1VolumeMount> mounts = container.VolumeMounts ?? [];
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < devices.Count; i++)
        {
            string idx = $"{at}.volumeDevices[{i}]";
            string name = devices[i]?.Name ?? "";
            string path = devices[i]?.DevicePath ?? "";
            V1Volume? volume = volumes?.FirstOrDefault(v => v?.Name == name);
            if (name.Length == 0)
            {
                yield return new FieldError(FieldErrorType.Required, idx + ".name", null, "");
            }

            if (names.Contains(name))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".name", name, "must be unique");
            }

            if (volume is null)
            {
                yield return new FieldError(FieldErrorType.NotFound, idx + ".name", name, "");
            }
            else if (volume.PersistentVolumeClaim is null && volume.Ephemeral is null)
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".name", name, "can only use volume source type of PersistentVolumeClaim for block mode");
            }

            if (path.Length == 0)
            {
                yield return new FieldError(FieldErrorType.Required, idx + ".devicePath", null, "");
            }

            if (paths.Contains(path))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".devicePath", path, "must be unique");
            }

            if (path.Length > 0 && path.Replace('\\', '/').Split('/').Contains(".."))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".devicePath", path, "can not contain backsteps ('..')");
            }
            else
            {
                paths.Add(path);
            }

            if (mounts.Any(m => m?.Name == name))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".name", name, "must not already exist in volumeMounts");
            }

            if (mounts.Any(m => m?.MountPath == path))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".devicePath", path, "must not already exist as a path in volumeMounts");
            }

            if (name.Length > 0)
            {
                names.Add(name);
            }
        }

        for (int i = 0; i < mounts.Count && devices.Count > 0; i++)
        {
            string idx = $"{at}.volumeMounts[{i}]";
            if (devices.Any(d => d?.Name == mounts[i]?.Name))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".name", mounts[i]?.Name, "must not already exist in volumeDevices");
            }

            if (devices.Any(d => d?.DevicePath == mounts[i]?.MountPath))
            {
                yield return new FieldError(FieldErrorType.Invalid, idx + ".mountPath", mounts[i]?.MountPath, "must not already exist as a path in volumeDevices");
            }
        }
    }
}
