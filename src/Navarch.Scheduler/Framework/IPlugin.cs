namespace Navarch.Scheduler.Framework;

/// <summary>Every plugin has a name; what else it does is the extension-point interfaces it implements.</summary>
internal interface IPlugin
{
    string Name { get; }
}
