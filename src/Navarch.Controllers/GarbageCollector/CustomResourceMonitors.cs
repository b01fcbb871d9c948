using k8s;
using k8s.Models;
using Navarch.Api.Apiextensions;
using Navarch.Client.Informers;

namespace Navarch.Controllers.GarbageCollector;

/// <summary>
/// The garbage collector's monitors of custom resources (its dynamic resource discovery): an informer per established
/// CustomResourceDefinition, started when the CRD is established and stopped when it goes, so custom resources are
/// owners whose deletion is seen at once and dependents that are collected like built-in ones.
/// </summary>
internal sealed class CustomResourceMonitors(Kubernetes client, TimeProvider time, Action<ResourceMapping, Informer<CustomResource>> monitor) : IResourceEventHandler<V1CustomResourceDefinition>, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Path, CancellationTokenSource Stop)> _running = new(StringComparer.Ordinal);

    public void OnAdd(V1CustomResourceDefinition obj) => Sync(obj);

    public void OnUpdate(V1CustomResourceDefinition oldObj, V1CustomResourceDefinition newObj) => Sync(newObj);

    public void OnDelete(V1CustomResourceDefinition lastKnown, bool finalStateUnknown) => Stop(lastKnown.Metadata.Name);

    public void Dispose()
    {
        lock (_lock)
        {
            foreach ((_, CancellationTokenSource stop) in _running.Values)
            {
                stop.Cancel();
                stop.Dispose();
            }

            _running.Clear();
        }
    }

    private void Sync(V1CustomResourceDefinition crd)
    {
        bool established = crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
        V1CustomResourceDefinitionVersion? version = crd.Spec.Versions.Where(v => v.Served).OrderByDescending(v => v.Storage).FirstOrDefault();
        V1CustomResourceDefinitionNames? names = crd.Status?.AcceptedNames;
        if (!established || version is null || names is not { Plural.Length: > 0 })
        {
            Stop(crd.Metadata.Name);
            return;
        }

        string apiVersion = $"{crd.Spec.Group}/{version.Name}";
        string path = $"/apis/{apiVersion}/{names.Plural}";
        Informer<CustomResource> informer;
        CancellationTokenSource cts;
        lock (_lock)
        {
            if (_running.TryGetValue(crd.Metadata.Name, out var current) && current.Path == path)
            {
                return;
            }

            StopLocked(crd.Metadata.Name);
            informer = new Informer<CustomResource>(client, new Uri(path, UriKind.Relative), time);
            cts = new CancellationTokenSource();
            _running[crd.Metadata.Name] = (path, cts);
        }

        monitor(new ResourceMapping(apiVersion, names.Kind, names.Plural, crd.Spec.Scope != "Cluster"), informer);
        _ = informer.RunAsync(cts.Token);
    }

    private void Stop(string name)
    {
        lock (_lock)
        {
            StopLocked(name);
        }
    }

    private void StopLocked(string name)
    {
        if (_running.Remove(name, out var running))
        {
            running.Stop.Cancel();
            running.Stop.Dispose();
        }
    }
}
