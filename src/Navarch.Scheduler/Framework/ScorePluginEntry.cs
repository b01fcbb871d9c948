namespace Navarch.Scheduler.Framework;

/// <summary>A score plugin and its weight in the sum.</summary>
internal sealed record ScorePluginEntry(IScorePlugin Plugin, int Weight);
