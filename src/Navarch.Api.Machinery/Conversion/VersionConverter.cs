namespace Navarch.Api.Conversion;

/// <summary>A typed <see cref="IVersionConverter"/> from two functions.</summary>
public sealed class VersionConverter<TServed, TStored>(Func<TServed, TStored> toStorage, Func<TStored, TServed> fromStorage) : IVersionConverter
{
    /// <inheritdoc />
    public Type StorageType => typeof(TStored);

    /// <inheritdoc />
    public object ToStorage(object served) => toStorage((TServed)served)!;

    /// <inheritdoc />
    public object FromStorage(object stored) => fromStorage((TStored)stored)!;
}
