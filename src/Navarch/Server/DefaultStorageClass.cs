using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client;
using Navarch.Kubelet.LocalPath;

namespace Navarch.Server;

/// <summary>
/// The <c>local-path</c> StorageClass, made at server start as k3s deploys its local-storage manifest: the default
/// class (claims without one get it), provisioned by every agent's <see cref="LocalPathProvisioner"/> on the node its
/// first pod is scheduled to (WaitForFirstConsumer), deleted with its claim, expandable. An existing class of that name
/// is left as the user made it.
/// </summary>
internal static partial class DefaultStorageClass
{
    /// <summary>The annotation that makes a class the default.</summary>
    public const string IsDefaultAnnotation = "storageclass.kubernetes.io/is-default-class";

    /// <summary>The class as created.</summary>
    public static V1StorageClass Definition() => new()
    {
        ApiVersion = "storage.k8s.io/v1",
        Kind = "StorageClass",
        Metadata = new V1ObjectMeta { Name = LocalPathProvisioner.ClassName, Annotations = new Dictionary<string, string> { [IsDefaultAnnotation] = "true" } },
        Provisioner = LocalPathProvisioner.ProvisionerName,
        ReclaimPolicy = "Delete",
        VolumeBindingMode = "WaitForFirstConsumer",
        AllowVolumeExpansion = true,
    };

    /// <summary>Creates the class unless it exists.</summary>
    public static async Task EnsureAsync(IKubernetes client, ILogger logger, CancellationToken cancellationToken)
    {
        // A server joining a cluster whose store is electing a leader (or has lost quorum for a while) waits for it.
        await StartupRetry.UntilDoneAsync(
            async ct =>
            {
                try
                {
                    await client.StorageV1.CreateStorageClassAsync(Definition(), cancellationToken: ct).ConfigureAwait(false);
                    LogCreated(logger, LocalPathProvisioner.ClassName);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                }
            },
            e => LogRetrying(logger, LocalPathProvisioner.ClassName, e.Message),
            cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the default StorageClass {Name} yet, trying again: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the default StorageClass {Name}")]
    private static partial void LogCreated(ILogger logger, string name);
}
