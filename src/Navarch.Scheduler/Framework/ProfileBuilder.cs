using Navarch.Scheduler.Config;

namespace Navarch.Scheduler.Framework;

/// <summary>
/// Turns a profile's configuration into plugin instances per extension point: the defaults, changed by multiPoint,
/// then by each point's own enabled and disabled lists, as KubeSchedulerConfiguration v1 merges them.
/// </summary>
internal static class ProfileBuilder
{
    public static Profile Build(ProfileConfiguration config, int percentageOfNodesToScore, PluginRegistry registry, FrameworkHandle handle)
    {
        Dictionary<string, object?> args = config.PluginConfig.ToDictionary(a => a.Name, a => a.Args, StringComparer.Ordinal);
        var instances = new Dictionary<string, IPlugin>(StringComparer.Ordinal);
        IPlugin Instance(string name)
        {
            if (!instances.TryGetValue(name, out IPlugin? plugin))
            {
                PluginFactory factory = registry.Get(name) ?? throw new InvalidDataException($"profile {config.SchedulerName}: unknown plugin \"{name}\"");
                instances[name] = plugin = factory(args.GetValueOrDefault(name), handle);
            }

            return plugin;
        }

        List<PluginReference> multi = Merge(PluginRegistry.Defaults.Select(d => new PluginReference { Name = d.Name, Weight = d.Weight }).ToList(), config.Plugins.MultiPoint);
        var profile = new Profile
        {
            SchedulerName = config.SchedulerName,
            PercentageOfNodesToScore = config.PercentageOfNodesToScore ?? percentageOfNodesToScore,
            Handle = handle,
        };
        foreach (PluginReference r in Point<IPreFilterPlugin>(multi, config.Plugins.PreFilter, Instance))
        {
            profile.PreFilter.Add((IPreFilterPlugin)Instance(r.Name));
        }

        foreach (PluginReference r in Point<IFilterPlugin>(multi, config.Plugins.Filter, Instance))
        {
            profile.Filter.Add((IFilterPlugin)Instance(r.Name));
        }

        foreach (PluginReference r in Point<IPostFilterPlugin>(multi, config.Plugins.PostFilter, Instance))
        {
            profile.PostFilter.Add((IPostFilterPlugin)Instance(r.Name));
        }

        foreach (PluginReference r in Point<IPreScorePlugin>(multi, config.Plugins.PreScore, Instance))
        {
            profile.PreScore.Add((IPreScorePlugin)Instance(r.Name));
        }

        foreach (PluginReference r in Point<IScorePlugin>(multi, config.Plugins.Score, Instance))
        {
            profile.Score.Add(new ScorePluginEntry((IScorePlugin)Instance(r.Name), r.Weight > 0 ? r.Weight : 1));
        }

        foreach (PluginReference r in Point<IReservePlugin>(multi, config.Plugins.Reserve, Instance))
        {
            profile.Reserve.Add((IReservePlugin)Instance(r.Name));
        }

        foreach (PluginReference r in Point<IPreBindPlugin>(multi, config.Plugins.PreBind, Instance))
        {
            profile.PreBind.Add((IPreBindPlugin)Instance(r.Name));
        }

        foreach (PluginReference r in Point<IBindPlugin>(multi, config.Plugins.Bind, Instance))
        {
            profile.Bind.Add((IBindPlugin)Instance(r.Name));
        }

        if (profile.Bind.Count == 0)
        {
            throw new InvalidDataException($"profile {config.SchedulerName}: at least one bind plugin is needed");
        }

        handle.Profile = profile;
        return profile;
    }

    private static List<PluginReference> Point<T>(List<PluginReference> multi, PluginSet set, Func<string, IPlugin> instance) =>
        Merge(multi.Where(r => instance(r.Name) is T).ToList(), set);

    private static List<PluginReference> Merge(List<PluginReference> defaults, PluginSet set)
    {
        bool all = set.Disabled.Any(d => d.Name == "*");
        var disabled = set.Disabled.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var result = defaults.Where(d => !all && !disabled.Contains(d.Name)).Select(d => new PluginReference { Name = d.Name, Weight = d.Weight }).ToList();
        foreach (PluginReference e in set.Enabled)
        {
            PluginReference? existing = result.Find(r => r.Name == e.Name);
            if (existing is null)
            {
                result.Add(new PluginReference { Name = e.Name, Weight = e.Weight });
            }
            else if (e.Weight > 0)
            {
                existing.Weight = e.Weight;
            }
        }

        return result;
    }
}
