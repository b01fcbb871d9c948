using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// <c>pods/{name}/binding</c> (pkg/registry/core/pod/storage BindingREST): the scheduler's Binding sets the pod's
/// spec.nodeName and a PodScheduled=True condition, once — a pod already on a node, or being deleted, is a Conflict.
/// Written through the pods' GuaranteedUpdate with admission; the Binding's checks take the place of the pod update
/// strategy, which does not let spec.nodeName change.
/// </summary>
internal sealed class BindingRest(TimeProvider time) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        string name = request.Name;
        string? node = Http.RequestBody.Deserialize<V1Binding>(body).Target?.Name;
        if (string.IsNullOrEmpty(node))
        {
            throw ApiErrors.Invalid("Binding", "", name, [new FieldError(FieldErrorType.Required, "target.name", null, "")]);
        }

        ResourceDefinition pods = request.Store.Definition;
        await request.Store.UpdateAsync(request.Info.Namespace, name, request.Info.Subresource, UpdateKind.Subresource, dryRun: false, current =>
        {
            if (current.Metadata.DeletionTimestamp is not null)
            {
                throw ApiErrors.Conflict(pods.GroupResource, name, $"pod {name} is being deleted, cannot be assigned to a host");
            }

            var pod = (V1Pod)ObjectCodec.Clone(pods, current);
            if (!string.IsNullOrEmpty(pod.Spec.NodeName))
            {
                throw ApiErrors.Conflict(pods.GroupResource, name, $"pod {name} is already assigned to node \"{pod.Spec.NodeName}\"");
            }

            pod.Spec.NodeName = node;
            pod.Status ??= new V1PodStatus();
            pod.Status.Conditions ??= [];
            // One PodScheduled condition: a scheduler that failed before (False, Unschedulable) is superseded.
            foreach (V1PodCondition stale in pod.Status.Conditions.Where(c => c.Type == "PodScheduled").ToList())
            {
                pod.Status.Conditions.Remove(stale);
            }

            DateTimeOffset now = time.GetUtcNow();
            pod.Status.Conditions.Add(new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc) });
            return pod;
        }, cancellationToken);
        return Http.Responder.Created();
    }
}
