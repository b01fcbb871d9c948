using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Apps;

/// <summary>apps/v1 ControllerRevision.</summary>
internal static class ControllerRevisionStrategy
{
    /// <summary>The strategy: a revision number that is not negative, and data that never changes.</summary>
    public static ResourceStrategy<V1ControllerRevision> Create() => new()
    {
        Validation = r => r.Revision is { } revision && FieldValidation.NonNegative("revision", revision) is { } error ? [error] : [],
        UpdateValidation = (r, old) => KubernetesSerialization.JsonEquals(r.Data, old.Data) ? [] : [FieldValidation.Immutable("data", null)],
    };
}
