using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry;

/// <summary>One page of a LIST.</summary>
/// <param name="Items">The matching objects.</param>
/// <param name="Revision">The revision the page was read at (the list's resourceVersion).</param>
/// <param name="Continue">The token of the next page; null on the last.</param>
/// <param name="RemainingCount">How many objects the next pages hold, when known.</param>
internal sealed record ListPage(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Items, long Revision, string? Continue, long? RemainingCount);
