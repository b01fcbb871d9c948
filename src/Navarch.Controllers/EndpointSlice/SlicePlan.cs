using k8s.Models;

namespace Navarch.Controllers.EndpointSlice;

/// <summary>The writes one reconciliation of a Service's EndpointSlices needs: creations, in-place updates, deletions.</summary>
internal sealed record SlicePlan(List<V1EndpointSlice> Create, List<V1EndpointSlice> Update, List<V1EndpointSlice> Delete)
{
    /// <summary>True when nothing needs writing.</summary>
    public bool IsEmpty => Create.Count == 0 && Update.Count == 0 && Delete.Count == 0;
}
