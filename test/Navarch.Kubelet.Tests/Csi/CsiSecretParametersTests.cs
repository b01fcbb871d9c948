using k8s.Models;
using Navarch.Kubelet.Csi;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>The external-provisioner's secret parameters: templates, the default pair, and its errors.</summary>
[Trait("Category", "Unit")]
public sealed class CsiSecretParametersTests
{
    private static readonly V1PersistentVolumeClaim Claim = new()
    {
        Metadata = new V1ObjectMeta { Name = "data", NamespaceProperty = "team", Annotations = new Dictionary<string, string> { ["example.com/key"] = "annotated" } },
    };

    [Fact]
    public void Templates_resolve_from_the_volume_and_claim()
    {
        var parameters = new Dictionary<string, string>
        {
            ["csi.storage.k8s.io/node-publish-secret-name"] = "${pvc.name}-${pvc.annotations['example.com/key']}",
            ["csi.storage.k8s.io/node-publish-secret-namespace"] = "${pvc.namespace}",
            ["csi.storage.k8s.io/secret-name"] = "${pv.name}",
            ["csi.storage.k8s.io/secret-namespace"] = "shared",
            ["tier"] = "fast",
        };

        V1SecretReference publish = CsiSecretParameters.Resolve(CsiSecretParameters.NodePublish, parameters, "pvc-1", Claim)!;
        Assert.Equal(("data-annotated", "team"), (publish.Name, publish.NamespaceProperty));
        V1SecretReference fallback = CsiSecretParameters.Resolve(CsiSecretParameters.ControllerExpand, parameters, "pvc-1", Claim)!;
        Assert.Equal(("pvc-1", "shared"), (fallback.Name, fallback.NamespaceProperty));
        Assert.Null(CsiSecretParameters.Resolve(CsiSecretParameters.Provisioner, new Dictionary<string, string>(), "pvc-1", Claim));
        Assert.Equal(["tier"], CsiSecretParameters.DriverParameters(parameters).Keys);
    }

    [Theory]
    [InlineData("provisioner-secret-name", "x", null, null, "failed to get name and namespace template from params: either name and namespace for provisioner secrets specified, Both must be specified")]
    [InlineData("provisioner-secret-name", "", "provisioner-secret-namespace", "ns", "failed to get name and namespace template from params: provisioner secrets specified in parameters but value of either namespace or name is empty")]
    [InlineData("provisioner-secret-name", "${pvc.annotations['example.com/key']}", "provisioner-secret-namespace", "ns", "error resolving value \"${pvc.annotations['example.com/key']}\": invalid tokens: [\"pvc.annotations['example.com/key']\"]")]
    [InlineData("provisioner-secret-name", "x", "provisioner-secret-namespace", "${pvc.name}", "error resolving value \"${pvc.name}\": invalid tokens: [\"pvc.name\"]")]
    [InlineData("provisioner-secret-name", "Not_Valid", "provisioner-secret-namespace", "ns", "\"Not_Valid\" is not a valid secret name")]
    [InlineData("provisioner-secret-name", "x", "provisioner-secret-namespace", "${pv.name}.x", "\"${pv.name}.x\" resolved to \"pvc-1.x\" which is not a valid namespace name")]
    public void Bad_parameters_fail_with_the_provisioners_message(string key1, string value1, string? key2, string? value2, string message)
    {
        var parameters = new Dictionary<string, string> { ["csi.storage.k8s.io/" + key1] = value1 };
        if (key2 is not null)
        {
            parameters["csi.storage.k8s.io/" + key2] = value2!;
        }

        var e = Assert.Throws<InvalidOperationException>(() => CsiSecretParameters.Resolve(CsiSecretParameters.Provisioner, parameters, "pvc-1", Claim));
        Assert.Equal(message, e.Message);
    }
}
