using System.Globalization;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Quantities;
using Navarch.Api.Quota;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' LimitRanger, from the namespace's LimitRanges. Mutating (<paramref name="mutating"/>): a new pod's
/// containers and init containers get the Container items' <c>default</c> limits and <c>defaultRequest</c> requests
/// they do not set, noted in the <c>kubernetes.io/limit-ranger</c> annotation. Validating: a new pod's containers
/// (Container items) and the pod as a whole (Pod items), and a claim's storage request (PersistentVolumeClaim items),
/// within min, max and maxLimitRequestRatio — else 403 with Kubernetes' wording ("maximum cpu usage per Container is
/// 1, but limit is 2"). Kubernetes registers one plugin doing both; here it is the same class at both stages.
/// </summary>
internal sealed class LimitRanger(ObjectLister<V1LimitRange> ranges, bool mutating) : IAdmissionPlugin
{
    private const string Annotation = "kubernetes.io/limit-ranger";

    public string Name => "LimitRanger";

    public bool Mutating => mutating;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Namespace is null || request.Subresource is not null || request.Operation == AdmissionOperation.Delete)
        {
            return;
        }

        // Containers cannot change after a pod is created, so only creates are judged; claims also when resized.
        bool pod = request.Object is V1Pod && request.Operation == AdmissionOperation.Create;
        if (!pod && request.Object is not V1PersistentVolumeClaim)
        {
            return;
        }

        foreach (V1LimitRange range in await ranges.ListAsync(request.Namespace, cancellationToken))
        {
            List<string> errors = request.Object switch
            {
                V1Pod p when mutating => Default(range, p),
                V1Pod p => ValidatePod(range, p),
                V1PersistentVolumeClaim c when !mutating => ValidateClaim(range, c),
                _ => [],
            };
            if (errors.Count > 0)
            {
                // utilerrors.NewAggregate: one message as it is, several in brackets.
                throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, errors.Count == 1 ? errors[0] : $"[{string.Join(", ", errors)}]");
            }
        }
    }

    /// <summary>mergePodResourceRequirements: the Container items' defaults on every container that lacks them.</summary>
    private static List<string> Default(V1LimitRange range, V1Pod pod)
    {
        var limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        var requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (V1LimitRangeItem item in (range.Spec?.Limits ?? []).Where(i => i.Type == "Container"))
        {
            foreach ((string name, ResourceQuantity value) in item.DefaultProperty ?? new Dictionary<string, ResourceQuantity>())
            {
                limits[name] = value;
            }

            foreach ((string name, ResourceQuantity value) in item.DefaultRequest ?? new Dictionary<string, ResourceQuantity>())
            {
                requests[name] = value;
            }
        }

        var notes = new List<string>();
        foreach ((V1Container container, string kind) in (pod.Spec?.Containers ?? []).Select(c => (c, "container")).Concat((pod.Spec?.InitContainers ?? []).Select(c => (c, "init container"))))
        {
            container.Resources ??= new V1ResourceRequirements();
            container.Resources.Limits ??= new Dictionary<string, ResourceQuantity>();
            container.Resources.Requests ??= new Dictionary<string, ResourceQuantity>();
            List<string> setRequests = Fill(container.Resources.Requests, requests);
            List<string> setLimits = Fill(container.Resources.Limits, limits);
            if (setRequests.Count > 0)
            {
                notes.Add($"{string.Join(", ", setRequests)} request for {kind} {container.Name}");
            }

            if (setLimits.Count > 0)
            {
                notes.Add($"{string.Join(", ", setLimits)} limit for {kind} {container.Name}");
            }
        }

        if (notes.Count > 0)
        {
            pod.Metadata.Annotations ??= new Dictionary<string, string>();
            pod.Metadata.Annotations[Annotation] = "LimitRanger plugin set: " + string.Join("; ", notes);
        }

        return [];
    }

    private static List<string> Fill(IDictionary<string, ResourceQuantity> target, Dictionary<string, ResourceQuantity> defaults)
    {
        var set = new List<string>();
        foreach ((string name, ResourceQuantity value) in defaults)
        {
            if (target.TryAdd(name, value.ToQuantity().ToResourceQuantity()))
            {
                set.Add(name);
            }
        }

        set.Sort(StringComparer.Ordinal);
        return set;
    }

    /// <summary>PodValidateLimitFunc: each container against Container items, the pod's totals against Pod items.</summary>
    private static List<string> ValidatePod(V1LimitRange range, V1Pod pod)
    {
        var errors = new List<string>();
        foreach (V1LimitRangeItem item in range.Spec?.Limits ?? [])
        {
            if (item.Type == "Container")
            {
                foreach (V1Container container in (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []))
                {
                    Check(item, ResourceLists.From(container.Resources?.Requests), ResourceLists.From(container.Resources?.Limits), errors);
                }
            }
            else if (item.Type == "Pod")
            {
                Check(item, PodResources.Requests(pod, withOverhead: false), PodResources.Limits(pod, withOverhead: false), errors);
            }
        }

        return errors;
    }

    /// <summary>PersistentVolumeClaimValidateLimitFunc: the storage request within min and max (limits are not the user's to set).</summary>
    private static List<string> ValidateClaim(V1LimitRange range, V1PersistentVolumeClaim claim)
    {
        var errors = new List<string>();
        Dictionary<string, Quantity> requests = ResourceLists.From(claim.Spec?.Resources?.Requests);
        foreach (V1LimitRangeItem item in (range.Spec?.Limits ?? []).Where(i => i.Type == "PersistentVolumeClaim"))
        {
            foreach ((string name, Quantity min) in Sorted(item.Min))
            {
                Min(item.Type, name, min, requests, [], errors);
            }

            foreach ((string name, Quantity max) in Sorted(item.Max))
            {
                if (!requests.TryGetValue(name, out Quantity request))
                {
                    errors.Add($"maximum {name} usage per {item.Type} is {max}.  No request is specified");
                }
                else if (request > max)
                {
                    errors.Add($"maximum {name} usage per {item.Type} is {max}, but request is {request}");
                }
            }
        }

        return errors;
    }

    private static void Check(V1LimitRangeItem item, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits, List<string> errors)
    {
        foreach ((string name, Quantity min) in Sorted(item.Min))
        {
            Min(item.Type, name, min, requests, limits, errors);
        }

        foreach ((string name, Quantity max) in Sorted(item.Max))
        {
            bool hasRequest = requests.TryGetValue(name, out Quantity request);
            if (!limits.TryGetValue(name, out Quantity limit))
            {
                errors.Add($"maximum {name} usage per {item.Type} is {max}.  No limit is specified");
            }
            else if (limit > max)
            {
                errors.Add($"maximum {name} usage per {item.Type} is {max}, but limit is {limit}");
            }
            else if (hasRequest && request > max)
            {
                errors.Add($"maximum {name} usage per {item.Type} is {max}, but request is {request}");
            }
        }

        foreach ((string name, Quantity ratio) in Sorted(item.MaxLimitRequestRatio))
        {
            if (!requests.TryGetValue(name, out Quantity request) || request.IsZero)
            {
                errors.Add($"{name} max limit to request ratio per {item.Type} is {ratio}, but no request is specified or request is 0");
            }
            else if (!limits.TryGetValue(name, out Quantity limit) || limit.IsZero)
            {
                errors.Add($"{name} max limit to request ratio per {item.Type} is {ratio}, but no limit is specified or limit is 0");
            }
            else if ((double)limit.Nanos / (double)request.Nanos is var observed && observed * 1000 > ratio.MilliValue)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} max limit to request ratio per {item.Type} is {ratio}, but provided ratio is {observed:F6}"));
            }
        }
    }

    private static void Min(string type, string name, Quantity min, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits, List<string> errors)
    {
        if (!requests.TryGetValue(name, out Quantity request))
        {
            errors.Add($"minimum {name} usage per {type} is {min}.  No request is specified");
        }
        else if (request < min)
        {
            errors.Add($"minimum {name} usage per {type} is {min}, but request is {request}");
        }
        else if (limits.TryGetValue(name, out Quantity limit) && limit < min)
        {
            errors.Add($"minimum {name} usage per {type} is {min}, but limit is {limit}");
        }
    }

    private static IEnumerable<KeyValuePair<string, Quantity>> Sorted(IDictionary<string, ResourceQuantity>? list) =>
        ResourceLists.From(list).OrderBy(kv => kv.Key, StringComparer.Ordinal);
}
