namespace Navarch.Controllers.GarbageCollector;

/// <summary>An object in the ownership graph: which resource and cache key it is, and the uids of its owners.</summary>
internal sealed record GraphNode(MonitoredResource Resource, string Key, string[] Owners);
