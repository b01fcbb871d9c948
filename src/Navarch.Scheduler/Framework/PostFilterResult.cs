namespace Navarch.Scheduler.Framework;

/// <summary>What PostFilter achieved: a nominated node (or none) and its status.</summary>
internal sealed record PostFilterResult(string? NominatedNodeName, Status Status);
