using k8s;
using k8s.Models;
using Navarch.Api.Strategies;

namespace Navarch.Api.Machinery.Tests.Strategies;

/// <summary>Runs a strategy the way the API server's create and update paths do, without a server.</summary>
internal static class StrategyHarness
{
    /// <summary>PrepareForCreate → Default → Validate; the object keeps the defaults.</summary>
    public static IReadOnlyList<FieldError> Create<T>(ResourceStrategy<T> strategy, T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        obj.Metadata.Uid ??= Guid.NewGuid().ToString();
        strategy.PrepareForCreate(obj);
        strategy.Default(obj);
        return strategy.Validate(obj);
    }

    /// <summary>PrepareForUpdate → Default → ValidateUpdate of <paramref name="obj"/> replacing <paramref name="old"/>.</summary>
    public static IReadOnlyList<FieldError> Update<T>(ResourceStrategy<T> strategy, T obj, T old)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        strategy.PrepareForUpdate(obj, old);
        strategy.Default(obj);
        return strategy.ValidateUpdate(obj, old);
    }

    /// <summary>
    /// Among <paramref name="errors"/> is one on <paramref name="field"/> whose message (the API server's
    /// <c>status.details.causes[].message</c>) contains <paramref name="detail"/>.
    /// </summary>
    public static void AssertInvalid(IEnumerable<FieldError> errors, string field, string detail) =>
        Assert.Contains(errors, e => e.Field == field && e.ErrorBody.Contains(detail, StringComparison.Ordinal));
}
