using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.DefaultBinder;

/// <summary>Binds through the pods/binding subresource, as the only way the scheduler assigns a node.</summary>
internal sealed class DefaultBinderPlugin(FrameworkHandle handle) : IBindPlugin
{
    public const string PluginName = "DefaultBinder";

    public string Name => PluginName;

    public async Task<Status> BindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        if (handle.Client is not { } client)
        {
            return Status.Error("no API client to bind with");
        }

        var binding = new V1Binding
        {
            ApiVersion = "v1",
            Kind = "Binding",
            Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
            Target = new V1ObjectReference { Kind = "Node", Name = nodeName },
        };
        try
        {
            await client.CoreV1.CreateNamespacedPodBindingAsync(binding, name: pod.Metadata.Name, namespaceParameter: pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Status.Success;
        }
        catch (HttpOperationException e)
        {
            return Status.Error($"binding rejected: {(int)e.Response.StatusCode} {e.Response.Content}");
        }
        catch (HttpRequestException e)
        {
            return Status.Error($"binding failed: {e.Message}");
        }
    }
}
