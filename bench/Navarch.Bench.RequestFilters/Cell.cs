namespace Navarch.Bench.RequestFilters;

/// <summary>
/// One cell of a table, measured over several interleaved rounds (so that a noisy moment of the machine is shared
/// among the rows): its latencies pooled, requests per second over the rounds' total time.
/// </summary>
internal sealed class Cell
{
    private readonly List<double> _milliseconds = [];
    private TimeSpan _elapsed;

    public double Rate => _milliseconds.Count / _elapsed.TotalSeconds;

    public double P50 => Percentile(0.5);

    public double P99 => Percentile(0.99);

    public void Add(IEnumerable<double> milliseconds, TimeSpan elapsed)
    {
        _milliseconds.AddRange(milliseconds);
        _elapsed += elapsed;
    }

    /// <summary>Requests/s, p50 and p99 in ms, as table columns.</summary>
    public override string ToString() => $"{Rate:N0} | {P50:0.00} | {P99:0.00}";

    private double Percentile(double q)
    {
        double[] sorted = _milliseconds.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    }
}
