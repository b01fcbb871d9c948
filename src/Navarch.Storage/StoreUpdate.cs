namespace Navarch.Storage;

/// <summary>
/// What the <c>tryUpdate</c> of <see cref="StoreExtensions.GuaranteedUpdateAsync(IStore, string, Func{KeyValue?, CancellationToken, ValueTask{StoreUpdate}}, bool, bool, WriteOptions?, CancellationToken)"/>
/// decided for the version it was shown: leave the key, write a value, or delete the key (each compare-and-swap on
/// that version). To stop without retrying (a failed precondition), <c>tryUpdate</c> throws.
/// </summary>
public readonly record struct StoreUpdate
{
    private StoreUpdate(StoreUpdateKind kind, byte[]? value)
    {
        Kind = kind;
        Value = value;
    }

    /// <summary>Leave the key as it is.</summary>
    public static StoreUpdate None => default;

    /// <summary>Delete the key (as Kubernetes' registry does when an update removes the last finalizer).</summary>
    public static StoreUpdate Delete => new(StoreUpdateKind.Delete, null);

    /// <summary>What to do.</summary>
    public StoreUpdateKind Kind { get; }

    /// <summary>The value to write, for <see cref="StoreUpdateKind.Put"/>.</summary>
    public byte[]? Value { get; }

    /// <summary>Write <paramref name="value"/> (create it when the key does not exist).</summary>
    public static StoreUpdate Put(byte[] value) => new(StoreUpdateKind.Put, value ?? throw new ArgumentNullException(nameof(value)));
}
