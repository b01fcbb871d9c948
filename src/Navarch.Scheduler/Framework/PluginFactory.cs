namespace Navarch.Scheduler.Framework;

/// <summary>Builds a plugin from its (untyped) args and the framework handle.</summary>
internal delegate IPlugin PluginFactory(object? args, FrameworkHandle handle);
