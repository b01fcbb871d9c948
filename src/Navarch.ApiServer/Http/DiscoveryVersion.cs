using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Http;

/// <summary>
/// One group/version in aggregated discovery: its resources (<c>APIResourceDiscovery</c> entries; null when its server
/// could not be asked), whether they are stale, and the priorities that order groups and versions (an APIService's
/// <c>groupPriorityMinimum</c> and <c>versionPriority</c>).
/// </summary>
internal sealed record DiscoveryVersion(string Group, string Version, int GroupPriority, int VersionPriority, JsonArray? Resources, bool Stale);
