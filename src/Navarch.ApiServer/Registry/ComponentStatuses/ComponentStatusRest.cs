using System.Net;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Http;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry.ComponentStatuses;

/// <summary>
/// core/v1 ComponentStatuses (<c>kubectl get componentstatuses</c>), computed on every read as kube-apiserver does. The
/// store (<c>etcd-0</c>) is healthy when it answers a read; kube-apiserver probes the scheduler's and controller
/// manager's health ports, which Navarch's components do not open, so they are healthy while their leader-election
/// Lease is renewed within its duration — the same "is it running" question, answered from what they write.
/// </summary>
internal sealed class ComponentStatusRest(StoreRegistry stores, TimeProvider time) : IRestGetter, IRestLister
{
    private const string Deprecation = "v1 ComponentStatus is deprecated in v1.19+";

    // The components kube-apiserver reports, with the Lease each of Navarch's writes while it leads.
    private static readonly (string Name, string? Lease)[] Components = [("scheduler", "kube-scheduler"), ("controller-manager", "kube-controller-manager"), ("etcd-0", null)];

    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken)
    {
        RequestScope.Current?.Warnings.Add(Deprecation);
        foreach ((string name, string? lease) in Components)
        {
            if (name == request.Name)
            {
                return await ProbeAsync(name, lease, cancellationToken);
            }
        }

        throw ApiErrors.NotFound("componentstatus", request.Name);
    }

    public async Task<ListPage> ListAsync(RestRequest request, CancellationToken cancellationToken)
    {
        RequestScope.Current?.Warnings.Add(Deprecation);
        var items = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach ((string name, string? lease) in Components)
        {
            V1ComponentStatus status = await ProbeAsync(name, lease, cancellationToken);
            if (request.Info.Options.Labels.Matches(status.Metadata.Labels) && (request.Info.Options.Fields.RequiresExactMatch("metadata.name") ?? name) == name)
            {
                items.Add(status);
            }
        }

        return new ListPage(items, 0, null, null);
    }

    private async Task<V1ComponentStatus> ProbeAsync(string name, string? leaseName, CancellationToken cancellationToken)
    {
        GenericStore leases = stores.For("coordination.k8s.io", "v1", "leases");
        (bool healthy, string? message, string? error) result;
        try
        {
            if (leaseName is null)
            {
                await leases.ListAsync("kube-system", new ListQuery(LabelSelector.Everything, FieldSelector.Everything, Limit: 1), cancellationToken);
                result = (true, "ok", null);
            }
            else
            {
                var lease = (V1Lease)await leases.GetAsync("kube-system", leaseName, cancellationToken);
                DateTime? renewed = lease.Spec?.RenewTime;
                int duration = lease.Spec?.LeaseDurationSeconds ?? 15;
                result = renewed is { } at && time.GetUtcNow() - new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) <= TimeSpan.FromSeconds(duration)
                    ? (true, "ok", null)
                    : (false, null, $"the {leaseName} Lease has not been renewed within its {duration}s duration");
            }
        }
        catch (StatusException e) when (e.Status.Code == (int)HttpStatusCode.NotFound)
        {
            result = (false, null, $"no {leaseName} Lease: the component has not run");
        }
        catch (StorageException e)
        {
            result = (false, null, e.Message);
        }

        return new V1ComponentStatus
        {
            ApiVersion = "v1",
            Kind = "ComponentStatus",
            Metadata = new V1ObjectMeta { Name = name },
            Conditions =
            [
                new V1ComponentCondition { Type = "Healthy", Status = result.healthy ? "True" : "False", Message = result.message, Error = result.error },
            ],
        };
    }
}
