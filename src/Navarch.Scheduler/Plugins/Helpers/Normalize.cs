namespace Navarch.Scheduler.Plugins.Helpers;

/// <summary>Kubernetes' DefaultNormalizeScore: scale so the highest is 100 (or, reversed, the lowest).</summary>
internal static class Normalize
{
    public static void Default(long[] scores, bool reverse)
    {
        long max = scores.Length == 0 ? 0 : scores.Max();
        for (int i = 0; i < scores.Length; i++)
        {
            if (max == 0)
            {
                scores[i] = reverse ? Framework.IScorePlugin.MaxNodeScore : 0;
                continue;
            }

            long s = Framework.IScorePlugin.MaxNodeScore * scores[i] / max;
            scores[i] = reverse ? Framework.IScorePlugin.MaxNodeScore - s : s;
        }
    }
}
