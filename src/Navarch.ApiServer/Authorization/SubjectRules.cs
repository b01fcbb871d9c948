using k8s.Models;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// What a rule resolver found: resource and non-resource rules, whether the list may be incomplete, and the errors met
/// while resolving it (rules found despite errors still apply).
/// </summary>
internal sealed record SubjectRules(IReadOnlyList<V1ResourceRule> ResourceRules, IReadOnlyList<V1NonResourceRule> NonResourceRules, bool Incomplete, string? EvaluationError);
