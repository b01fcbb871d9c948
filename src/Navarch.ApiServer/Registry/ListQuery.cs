using Navarch.Api.Selectors;

namespace Navarch.ApiServer.Registry;

/// <summary>What a LIST asks for (metav1.ListOptions, parsed).</summary>
/// <param name="Labels">The label selector.</param>
/// <param name="Fields">The field selector.</param>
/// <param name="Limit">Page size; 0 for all.</param>
/// <param name="Continue">The continue token of the previous page.</param>
/// <param name="Revision">The store revision to read at; 0 for the current one.</param>
/// <param name="AnyRevision">resourceVersion=0: any recent state will do, so the watch cache answers (and the limit is ignored, as kube-apiserver does).</param>
/// <param name="MinRevision">resourceVersion=N, NotOlderThan: the current state, once the store has reached N.</param>
internal sealed record ListQuery(LabelSelector Labels, FieldSelector Fields, long Limit = 0, string? Continue = null, long Revision = 0, bool AnyRevision = false, long MinRevision = 0);
