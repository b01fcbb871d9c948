namespace Navarch.Controllers.GarbageCollector;

/// <summary>What the garbage collector found of one owner of a dependent.</summary>
internal enum OwnerState
{
    /// <summary>The owner exists and is not deleting its dependents.</summary>
    Solid,

    /// <summary>No object with the owner's uid exists: the reference dangles.</summary>
    Absent,

    /// <summary>The owner is being deleted in the foreground and waits for its dependents to go.</summary>
    WaitingForDependents,
}
