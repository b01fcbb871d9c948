namespace Navarch.Api.Cel;

/// <summary>
/// The budget of the evaluation running on this thread. The package's compiled delegates and functions are shared and
/// take no context, so the input's lists and maps and our library functions charge the budget found here; an evaluation
/// is synchronous, so a thread-static is exactly its scope.
/// </summary>
internal static class CelCostMeter
{
    [ThreadStatic]
    private static CelCostBudget? t_current;

    public static CelCostBudget? Current
    {
        get => t_current;
        set => t_current = value;
    }

    public static void Charge(long units) => t_current?.Charge(units);
}
