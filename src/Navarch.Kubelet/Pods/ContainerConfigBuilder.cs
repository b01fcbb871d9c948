using System.Runtime.CompilerServices;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// The CRI config of a container about to be created, as the kubelet's generateContainerConfig makes it: the
/// runAsNonRoot check against the image's user, the environment (<see cref="ContainerEnvironment"/>), the volume
/// mounts and block devices (<see cref="VolumeManager"/>), resources and security context (<see cref="PodRuntimeConfig"/>), and a fresh
/// host file at the terminationMessagePath. A config that cannot be made is CreateContainerConfigError.
/// </summary>
internal sealed class ContainerConfigBuilder(ContainerEnvironment environment, VolumeManager volumes, KubeletOptions options, EventRecorder events, TimeProvider time)
{
    private static readonly TimeSpan ErrorEventInterval = TimeSpan.FromSeconds(60);
    private readonly ConditionalWeakTable<ContainerView, Tuple<string, DateTimeOffset>> _lastErrors = [];

    /// <summary>
    /// The config of <paramref name="container"/>'s <paramref name="attempt"/> in sandbox <paramref name="sandbox"/>,
    /// from image <paramref name="imageRef"/> (<paramref name="image"/> is the runtime's record of it), or null when it
    /// cannot be made: then <paramref name="view"/> waits with CreateContainerConfigError and a Failed event says why
    /// (again only when the reason changes or a minute has passed).
    /// </summary>
    public ContainerConfig? Build(V1Pod pod, V1Container container, SandboxContext sandbox, string imageRef, Image? image, uint attempt, ContainerView view)
    {
        try
        {
            VerifyRunAsNonRoot(pod, container, image);
            Dictionary<string, string> env = environment.Build(pod, container, sandbox.NetworkIp);
            ContainerConfig config = PodRuntimeConfig.Container(pod, container, imageRef, attempt, env, volumes.Mounts(pod, container, env));
            config.Devices.Add(volumes.Devices(pod, container));
            AddTerminationMessage(pod, container, config);
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

    /// <summary>kubelet's verifyRunAsNonRoot: a runAsNonRoot container must not run as uid 0, nor as a user it cannot check.</summary>
    private static void VerifyRunAsNonRoot(V1Pod pod, V1Container container, Image? image)
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

        if (image?.Uid is { } imageUid)
        {
            if (imageUid.Value == 0)
            {
                throw new ContainerConfigException($"container has runAsNonRoot and image will run as root {who}");
            }

            return;
        }

        if (image?.Username is { Length: > 0 } user)
        {
            throw new ContainerConfigException($"container has runAsNonRoot and image has non-numeric user ({user}), cannot verify user is non-root {who}");
        }

        throw new ContainerConfigException($"container has runAsNonRoot and image will run as root {who}");
    }

    /// <summary>Mounts a fresh host file at the terminationMessagePath, as the kubelet does.</summary>
    private void AddTerminationMessage(V1Pod pod, V1Container container, ContainerConfig config)
    {
        string path = container.TerminationMessagePath ?? TerminationMessages.DefaultPath;
        config.Annotations[TerminationMessages.PolicyAnnotation] = container.TerminationMessagePolicy ?? "File";
        if (config.Mounts.Any(m => m.ContainerPath == path))
        {
            return;
        }

        string host = TerminationMessages.CreateHostFile(options, pod.Metadata.Uid, container.Name);
        config.Mounts.Add(new Mount { ContainerPath = path, HostPath = host });
    }
}
