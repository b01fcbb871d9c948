using System.Text.Json;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Pki;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// kube-apiserver's <c>kube-system/extension-apiserver-authentication</c> ConfigMap: what an extension API server
/// reads to trust the aggregator — the client CA, and the request-header CA, allowed names and header names of the
/// front proxy. Written at every start, so a renewed CA is published.
/// </summary>
internal static class ExtensionApiServerAuthentication
{
    public const string Name = "extension-apiserver-authentication";

    public static async Task PublishAsync(StoreRegistry stores, ClusterPki pki, FrontProxyPki frontProxy, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["client-ca-file"] = pki.Ca.ExportCertificatePem() + "\n",
            ["requestheader-client-ca-file"] = frontProxy.Ca.ExportCertificatePem() + "\n",
            ["requestheader-allowed-names"] = JsonSerializer.Serialize(new[] { FrontProxyPki.ClientCommonName }),
            ["requestheader-username-headers"] = JsonSerializer.Serialize(new[] { "X-Remote-User" }),
            ["requestheader-group-headers"] = JsonSerializer.Serialize(new[] { "X-Remote-Group" }),
            ["requestheader-extra-headers-prefix"] = JsonSerializer.Serialize(new[] { "X-Remote-Extra-" }),
        };
        GenericStore configMaps = stores.For("", "v1", "configmaps");
        try
        {
            await configMaps.CreateAsync(new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = Name, NamespaceProperty = "kube-system" }, Data = data }, dryRun: false, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Reason == "AlreadyExists")
        {
            await configMaps.UpdateAsync("kube-system", Name, null, UpdateKind.Resource, dryRun: false, current =>
            {
                var map = (V1ConfigMap)ObjectCodec.Clone(configMaps.Definition, current);
                map.Data = data;
                return map;
            }, cancellationToken);
        }
    }
}
