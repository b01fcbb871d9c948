namespace Navarch.ApiServer.Http;

/// <summary>What one request reserved of the <see cref="BodyBudget"/>; the pipeline gives it back when the request ends.</summary>
internal sealed class BodyLease(BodyBudget budget) : IDisposable
{
    private long _bytes;

    /// <summary>Reserves <paramref name="bytes"/> more for this request.</summary>
    public async Task AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        await budget.AcquireAsync(bytes, cancellationToken);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>Gives back what a body turned out not to need.</summary>
    public void Shrink(long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        budget.Release(bytes);
    }

    /// <inheritdoc />
    public void Dispose() => budget.Release(Interlocked.Exchange(ref _bytes, 0));
}
