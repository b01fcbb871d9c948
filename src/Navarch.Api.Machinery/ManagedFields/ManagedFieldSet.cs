namespace Navarch.Api.ManagedFields;

/// <summary>One manager's fields (a decoded <c>managedFields</c> entry).</summary>
/// <param name="Set">The fields it owns.</param>
/// <param name="ApiVersion">The version its field paths are in.</param>
/// <param name="Time">When it last changed something.</param>
public sealed record ManagedFieldSet(FieldSet Set, string? ApiVersion, DateTime? Time);
