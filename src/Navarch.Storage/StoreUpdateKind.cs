namespace Navarch.Storage;

/// <summary>The kinds of <see cref="StoreUpdate"/>.</summary>
public enum StoreUpdateKind
{
    /// <summary>Leave the key.</summary>
    None,

    /// <summary>Write a value.</summary>
    Put,

    /// <summary>Delete the key.</summary>
    Delete,
}
