using k8s.Models;
using Navarch.Api;
using Navarch.Api.Quantities;
using Navarch.Api.Quota;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' RuntimeClass admission for new pods naming a runtimeClassName: the class must exist (else 403 "pod
/// rejected: RuntimeClass "x" not found"); its overhead becomes spec.overhead (a pod giving a different one is
/// refused); its scheduling nodeSelector is merged into the pod's (a conflicting key is refused) and its tolerations
/// are added. The kubelet passes the class's handler to the CRI.
/// </summary>
internal sealed class RuntimeClassAdmission(ObjectLister<V1RuntimeClass> classes) : IAdmissionPlugin
{
    public string Name => "RuntimeClass";

    public bool Mutating => true;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Subresource is not null || request.Object is not V1Pod { Spec: { } spec }
            || string.IsNullOrEmpty(spec.RuntimeClassName))
        {
            return;
        }

        V1RuntimeClass runtimeClass = await classes.GetAsync(null, spec.RuntimeClassName, cancellationToken)
            ?? throw Forbidden(request, $"pod rejected: RuntimeClass \"{spec.RuntimeClassName}\" not found");

        if (runtimeClass.Overhead?.PodFixed is { Count: > 0 } overhead)
        {
            if (spec.Overhead is { Count: > 0 } given && !ResourceLists.Equal(ResourceLists.From(given), ResourceLists.From(overhead)))
            {
                throw Forbidden(request, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
            }

            spec.Overhead = overhead.ToDictionary(kv => kv.Key, kv => kv.Value.ToQuantity().ToResourceQuantity());
        }

        if (runtimeClass.Scheduling?.NodeSelector is { Count: > 0 } selector)
        {
            spec.NodeSelector ??= new Dictionary<string, string>();
            foreach ((string key, string value) in selector)
            {
                if (spec.NodeSelector.TryGetValue(key, out string? existing) && existing != value)
                {
                    throw Forbidden(request, $"pod rejected: conflict: runtimeClass.scheduling.nodeSelector[{key}] = {value}; pod.spec.nodeSelector[{key}] = {existing}");
                }

                spec.NodeSelector[key] = value;
            }
        }

        foreach (V1Toleration toleration in runtimeClass.Scheduling?.Tolerations ?? [])
        {
            spec.Tolerations ??= [];
            if (!spec.Tolerations.Any(t => t.Key == toleration.Key && t.OperatorProperty == toleration.OperatorProperty && t.Value == toleration.Value
                && t.Effect == toleration.Effect && t.TolerationSeconds == toleration.TolerationSeconds))
            {
                spec.Tolerations.Add(toleration);
            }
        }
    }

    private static StatusException Forbidden(AdmissionRequest request, string reason) =>
        ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, reason);
}
