using Cronos;

namespace Navarch.Api.Strategies.Batch;

/// <summary>A CronJob's schedule, read the way Kubernetes reads it: five standard fields or an @macro.</summary>
public static class CronSchedule
{
    /// <summary>Parses <paramref name="schedule"/>; null when it does not parse.</summary>
    public static CronExpression? Parse(string? schedule)
    {
        string text = (schedule ?? "").Trim() switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            var s => s,
        };
        try
        {
            return CronExpression.Parse(text, CronFormat.Standard);
        }
        catch (CronFormatException)
        {
            return null;
        }
    }
}
