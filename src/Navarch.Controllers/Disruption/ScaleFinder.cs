using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Navarch.Client;

namespace Navarch.Controllers.Disruption;

/// <summary>
/// The disruption controller's finders (getPodReplicationController, getPodDeployment, getPodReplicaSet,
/// getPodStatefulSet, then getScaleController): the scale of the controller a pod names, from the shared listers for
/// the built-in workloads, else from the <c>/scale</c> subresource of whatever kind the reference names (a custom
/// resource, for one), found through discovery.
/// </summary>
internal sealed class ScaleFinder(ControllerContext context)
{
    private readonly Client.Informers.Informer<V1ReplicationController> _rcs = context.Informers.Get<V1ReplicationController>();
    private readonly Client.Informers.Informer<V1ReplicaSet> _rss = context.Informers.Get<V1ReplicaSet>();
    private readonly Client.Informers.Informer<V1Deployment> _deployments = context.Informers.Get<V1Deployment>();
    private readonly Client.Informers.Informer<V1StatefulSet> _statefulSets = context.Informers.Get<V1StatefulSet>();

    /// <summary>A controller's uid and its desired replicas.</summary>
    public readonly record struct ControllerScale(string Uid, int Scale);

    /// <summary>The controller of <paramref name="reference"/> and its scale; null when no finder knows it (it is gone, or another object holds its name).</summary>
    public async Task<ControllerScale?> FindAsync(V1OwnerReference reference, string ns, CancellationToken cancellationToken)
    {
        string group = GroupOf(reference.ApiVersion);
        string key = ns + "/" + reference.Name;
        if (reference.Kind == "ReplicationController" && group == "")
        {
            return _rcs.Store.Get(key) is { } rc && rc.Metadata.Uid == reference.Uid ? new ControllerScale(rc.Metadata.Uid, rc.Spec?.Replicas ?? 1) : null;
        }

        if (reference.Kind == "ReplicaSet" && group is "apps" or "extensions")
        {
            if (_rss.Store.Get(key) is not { } rs || rs.Metadata.Uid != reference.Uid)
            {
                return null;
            }

            // A Deployment's ReplicaSet counts as its Deployment, whose replicas are what the budget protects.
            V1OwnerReference? owner = rs.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
            if (owner is not null && owner.Kind == "Deployment")
            {
                return GroupOf(owner.ApiVersion) is "apps" or "extensions"
                    && _deployments.Store.Get(ns + "/" + owner.Name) is { } d && d.Metadata.Uid == owner.Uid
                    ? new ControllerScale(d.Metadata.Uid, d.Spec?.Replicas ?? 1)
                    : null;
            }

            return new ControllerScale(rs.Metadata.Uid, rs.Spec?.Replicas ?? 1);
        }

        if (reference.Kind == "StatefulSet" && group == "apps")
        {
            return _statefulSets.Store.Get(key) is { } ss && ss.Metadata.Uid == reference.Uid ? new ControllerScale(ss.Metadata.Uid, ss.Spec?.Replicas ?? 1) : null;
        }

        return await FromScaleSubresourceAsync(reference, group, ns, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ControllerScale?> FromScaleSubresourceAsync(V1OwnerReference reference, string group, string ns, CancellationToken cancellationToken)
    {
        string groupVersion = group == "" ? "/api/" + reference.ApiVersion : "/apis/" + reference.ApiVersion;
        string? resource = null;
        bool hasScale = false;
        using (JsonDocument discovery = await Get(groupVersion, cancellationToken).ConfigureAwait(false))
        {
            var names = discovery.RootElement.GetProperty("resources").EnumerateArray()
                .Select(r => (Name: r.GetProperty("name").GetString() ?? "", Kind: r.TryGetProperty("kind", out JsonElement k) ? k.GetString() : null))
                .ToList();
            resource = names.FirstOrDefault(r => r.Kind == reference.Kind && !r.Name.Contains('/', StringComparison.Ordinal)).Name;
            hasScale = resource is not null && names.Any(r => r.Name == resource + "/scale" && r.Kind == "Scale");
        }

        if (resource is null)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"no matches for kind \"{reference.Kind}\" in version \"{reference.ApiVersion}\""));
        }

        string groupResource = group == "" ? resource : resource + "." + group;
        if (!hasScale)
        {
            throw new InvalidOperationException($"{groupResource} does not implement the scale subresource");
        }

        JsonDocument scale;
        try
        {
            scale = await Get($"{groupVersion}/namespaces/{ns}/{resource}/{reference.Name}/scale", cancellationToken).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return null;
        }

        using (scale)
        {
            JsonElement root = scale.RootElement;
            string? uid = root.GetProperty("metadata").TryGetProperty("uid", out JsonElement u) ? u.GetString() : null;
            int replicas = root.TryGetProperty("spec", out JsonElement spec) && spec.TryGetProperty("replicas", out JsonElement r) ? r.GetInt32() : 0;
            return uid == reference.Uid ? new ControllerScale(uid!, replicas) : null;
        }
    }

    private Task<JsonDocument> Get(string path, CancellationToken cancellationToken) => context.Api.GetJsonAsync(path, cancellationToken);

    private static string GroupOf(string apiVersion)
    {
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : apiVersion[..slash];
    }
}
