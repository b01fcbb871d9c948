using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The controller manager against a real API server: the namespace, serviceaccount and root CA publisher controllers.</summary>
[Trait("Category", "Integration")]
public sealed class NamespaceAndServiceAccountTests : ControllerCluster
{
    protected override ControllerManagerOptions Options => new() { RootCaBundle = ServerCa };

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private async Task<bool> Exists(Func<Task> read)
    {
        try
        {
            await read();
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [Fact]
    public async Task Every_namespace_gets_a_default_service_account_back_even_after_deletion()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        await Eventually(() => Exists(() => Client.CoreV1.ReadNamespacedServiceAccountAsync("default", "team")), "default service account in team", Deadline);
        await Eventually(() => Exists(() => Client.CoreV1.ReadNamespacedServiceAccountAsync("default", "kube-system")), "default service account in kube-system", Deadline);
        await Client.CoreV1.DeleteNamespacedServiceAccountAsync("default", "team");
        await Eventually(() => Exists(() => Client.CoreV1.ReadNamespacedServiceAccountAsync("default", "team")), "default service account recreated", Deadline);
    }

    [Fact]
    public async Task Every_namespace_gets_the_root_ca_config_map_kept_as_published()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "trusting" } });
        async Task<bool> Published(string ns)
        {
            try
            {
                V1ConfigMap cm = await Client.CoreV1.ReadNamespacedConfigMapAsync("kube-root-ca.crt", ns);
                return cm.Data.Count == 1 && cm.Data["ca.crt"] == ServerCa && cm.Metadata.Annotations.ContainsKey("kubernetes.io/description");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        }

        await Eventually(() => Published("trusting"), "kube-root-ca.crt in trusting", Deadline);
        await Eventually(() => Published("kube-system"), "kube-root-ca.crt in kube-system", Deadline);

        V1ConfigMap changed = await Client.CoreV1.ReadNamespacedConfigMapAsync("kube-root-ca.crt", "trusting");
        changed.Data["ca.crt"] = "not a CA";
        changed.Data["extra"] = "x";
        await Client.CoreV1.ReplaceNamespacedConfigMapAsync(changed, "kube-root-ca.crt", "trusting");
        await Eventually(() => Published("trusting"), "kube-root-ca.crt restored", Deadline);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("kube-root-ca.crt", "trusting");
        await Eventually(() => Published("trusting"), "kube-root-ca.crt recreated", Deadline);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_its_contents_and_then_the_namespace()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" } }, "doomed");
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "doomed");
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] } }, "doomed");
        await Client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "d" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["a"] = "b" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["a"] = "b" } }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] } },
            },
        }, "doomed");

        await Client.CoreV1.DeleteNamespaceAsync("doomed");
        await Eventually(async () => !await Exists(() => Client.CoreV1.ReadNamespaceAsync("doomed")), "namespace doomed gone", Deadline);
        Assert.Empty((await Client.CoreV1.ListNamespacedConfigMapAsync("doomed")).Items);
        Assert.Empty((await Client.CoreV1.ListNamespacedPodAsync("doomed")).Items);
        Assert.Empty((await Client.AppsV1.ListNamespacedDeploymentAsync("doomed")).Items);
    }
}
