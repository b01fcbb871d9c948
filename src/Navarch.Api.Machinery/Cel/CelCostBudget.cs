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

    /// <summary>
    /// Kubernetes' budget for all the rules of one object, and for all the expressions of one ValidatingAdmissionPolicy
    /// evaluation (one policy, binding and param) (<c>celconfig.RuntimeCELCostBudget</c>).
    /// </summary>
    public const long PerObjectLimit = 10_000_000;

    /// <summary>
    /// Kubernetes' budget for the matchConditions of one webhook, or of one ValidatingAdmissionPolicyBinding's policy,
    /// on one request: all its conditions together (<c>celconfig.RuntimeCELCostBudgetMatchConditions</c>).
    /// </summary>
    public const long MatchConditionsLimit = 2_500_000;

    private readonly long _ticksLimit;
    private readonly long _started;
    private long _spent;
    private long _callStart;
    private bool _timedOut;

    /// <summary>
    /// A budget of <paramref name="limit"/> units, at most <paramref name="callLimit"/> of them for one evaluation
    /// (<see cref="PerCallLimit"/> when null), and at most <paramref name="timeLimit"/> of wall clock (when null, a second per <see cref="PerCallLimit"/> units, at least one).
    /// </summary>
    public CelCostBudget(long limit = PerCallLimit, TimeSpan? timeLimit = null, long? callLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Limit = limit;
        CallLimit = Math.Min(callLimit ?? PerCallLimit, limit);
        // The backstop grows with the budget (a second per call's worth), so a large shared budget runs out by its units.
        _ticksLimit = (long)((timeLimit ?? TimeSpan.FromSeconds(Math.Max(1, limit / PerCallLimit))).TotalSeconds * Stopwatch.Frequency);
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>The units this budget allows in all.</summary>
    public long Limit { get; }

    /// <summary>The units one evaluation may spend.</summary>
    public long CallLimit { get; }

    /// <summary>The units spent so far.</summary>
    public long Spent => _spent;

    /// <summary>The units not spent yet (never negative).</summary>
    public long Remaining => Math.Max(0, Limit - _spent);

    /// <summary>True once an evaluation ran out of this budget (its call limit, the whole budget or the deadline).</summary>
    public bool Exhausted { get; private set; }

    /// <summary>True when the whole budget (not only one evaluation's share) ran out, or its deadline passed.</summary>
    public bool LimitExceeded => _spent > Limit || _timedOut;

    /// <summary>True when the evaluation running now (since <see cref="BeginCall"/>) ran out.</summary>
    internal bool CallExhausted { get; private set; }

    /// <summary>Starts one evaluation's share of the budget.</summary>
    internal void BeginCall()
    {
        _callStart = _spent;
        CallExhausted = false;
    }

    /// <summary>Spends <paramref name="units"/>; throws <see cref="CelCostLimitExceededException"/> past the limit or the deadline.</summary>
    internal void Charge(long units)
    {
        _spent += units;
        _timedOut |= Stopwatch.GetTimestamp() - _started > _ticksLimit;
        if (_spent > Limit || _spent - _callStart > CallLimit || _timedOut)
        {
            Exhausted = true;
            CallExhausted = true;
            throw new CelCostLimitExceededException();
        }
    }
}
