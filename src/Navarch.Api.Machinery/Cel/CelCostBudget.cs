using System.Diagnostics;

namespace Navarch.Api.Cel;

/// <summary>
/// The runtime cost a CEL evaluation may spend, as Kubernetes bounds every rule (cel-go's actual cost limit): one unit
/// per variable lookup and per element a comprehension or function visits in a list or map that came from the input,
/// plus a wall-clock limit as a backstop for work the units do not see. One budget may be shared by several evaluations
/// (the rules of one object share <see cref="PerObjectLimit"/>, as apiextensions-apiserver's runtime budget does).
/// </summary>
/// <remarks>Not thread-safe: one budget belongs to one request's validation.</remarks>
public sealed class CelCostBudget
{
    /// <summary>Kubernetes' limit for one evaluation of one expression (<c>celconfig.PerCallLimit</c>).</summary>
    public const long PerCallLimit = 1_000_000;

    /// <summary>Kubernetes' budget for all the rules of one object (<c>celconfig.RuntimeCELCostBudget</c>).</summary>
    public const long PerObjectLimit = 10_000_000;

    private readonly long _ticksLimit;
    private readonly long _started;
    private long _spent;

    /// <summary>A budget of <paramref name="limit"/> units and at most <paramref name="timeLimit"/> of wall clock (1 s when null).</summary>
    public CelCostBudget(long limit = PerCallLimit, TimeSpan? timeLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Limit = limit;
        _ticksLimit = (long)((timeLimit ?? TimeSpan.FromSeconds(1)).TotalSeconds * Stopwatch.Frequency);
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>The units this budget allows in all.</summary>
    public long Limit { get; }

    /// <summary>The units spent so far.</summary>
    public long Spent => _spent;

    /// <summary>True once an evaluation ran out of this budget.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>Spends <paramref name="units"/>; throws <see cref="CelCostLimitExceededException"/> past the limit or the deadline.</summary>
    internal void Charge(long units)
    {
        _spent += units;
        if (_spent > Limit || Stopwatch.GetTimestamp() - _started > _ticksLimit)
        {
            Exhausted = true;
            throw new CelCostLimitExceededException();
        }
    }
}
