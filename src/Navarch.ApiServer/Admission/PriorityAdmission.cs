using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' Priority admission. A new pod's spec.priority and spec.preemptionPolicy come from its
/// priorityClassName's PriorityClass, or — naming none — from the globalDefault class (the lowest if several; its
/// name is set on the pod), else priority 0 and PreemptLowerPriority; an unknown class, or a priority or policy in the
/// pod that differs from the class's, is refused (403) with Kubernetes' messages. A PriorityClass may be marked
/// globalDefault only while no other one is.
/// </summary>
internal sealed class PriorityAdmission(ObjectLister<V1PriorityClass> classes) : IAdmissionPlugin
{
    public string Name => "Priority";

    public bool Mutating => true;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Subresource is not null || request.Operation == AdmissionOperation.Delete)
        {
            return;
        }

        switch (request.Object)
        {
            case V1Pod { Spec: { } spec } when request.Operation == AdmissionOperation.Create:
                await AdmitPodAsync(request, spec, cancellationToken);
                break;
            case V1PriorityClass { GlobalDefault: true } pc:
                if ((await classes.ListAsync(null, cancellationToken)).Find(c => c.GlobalDefault == true && c.Metadata.Name != pc.Metadata.Name) is { } other)
                {
                    throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, $"PriorityClass {other.Metadata.Name} is already marked as default. Only one default can exist");
                }

                break;
        }
    }

    private async Task AdmitPodAsync(AdmissionRequest request, V1PodSpec spec, CancellationToken cancellationToken)
    {
        int priority;
        string? policy;
        List<V1PriorityClass> all = await classes.ListAsync(null, cancellationToken);
        if (string.IsNullOrEmpty(spec.PriorityClassName))
        {
            V1PriorityClass? global = all.Where(c => c.GlobalDefault == true).OrderBy(c => c.Value).FirstOrDefault();
            priority = global?.Value ?? 0;
            policy = global is null ? "PreemptLowerPriority" : global.PreemptionPolicy;
            spec.PriorityClassName = global?.Metadata.Name;
        }
        else
        {
            V1PriorityClass pc = all.Find(c => c.Metadata.Name == spec.PriorityClassName)
                ?? throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, $"no PriorityClass with name {spec.PriorityClassName} was found");
            priority = pc.Value ?? 0;
            policy = pc.PreemptionPolicy;
        }

        if (spec.Priority is { } given && given != priority)
        {
            throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, $"the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }

        spec.Priority = priority;
        if (policy is not null)
        {
            if (spec.PreemptionPolicy is { } givenPolicy && givenPolicy != policy)
            {
                throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, $"the string value of PreemptionPolicy ({givenPolicy}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name");
            }

            spec.PreemptionPolicy = policy;
        }
    }
}
