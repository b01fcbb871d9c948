using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Kubelet.Runtime;

/// <summary>
/// The kubelet's runtimeclass manager: the CRI handler of a pod's runtimeClassName (node.k8s.io/v1 RuntimeClass), passed
/// to RunPodSandbox as runtime_handler; "" (the runtime's default) for a pod naming none. Read when a sandbox is made,
/// which is rare enough not to need a watch.
/// </summary>
internal sealed class RuntimeClassManager(IKubernetes client)
{
    /// <summary>The handler of <paramref name="runtimeClassName"/>; throws when the class does not exist, so the sandbox is not made.</summary>
    public async Task<string> HandlerAsync(string? runtimeClassName, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(runtimeClassName))
        {
            return "";
        }

        try
        {
            V1RuntimeClass runtimeClass = await client.NodeV1.ReadRuntimeClassAsync(runtimeClassName, cancellationToken: cancellationToken).ConfigureAwait(false);
            return runtimeClass.Handler;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"RuntimeClass \"{runtimeClassName}\" not found", e);
        }
    }
}
