namespace Navarch.ApiServer.ContainerLogs;

/// <summary>The central log store's bounds (<c>--log-store-max-size</c>, <c>--log-store-max-age</c>).</summary>
public sealed class ContainerLogStoreOptions
{
    /// <summary>The most bytes kept on disk; the oldest segment goes first past it.</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long a line is kept; a segment goes once its newest line is older.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The size at which a segment is closed and the next begun: an eighth of the whole, so retention frees space in
    /// steps of about 12 % and never holds more than the bound plus one batch.
    /// </summary>
    public long SegmentBytes => Math.Clamp(MaxBytes / 8, 16 * 1024, 64L * 1024 * 1024);
}
