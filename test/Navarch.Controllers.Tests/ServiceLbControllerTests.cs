using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Client.Informers;
using Navarch.Controllers;
using Navarch.Controllers.ServiceLb;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

[Trait("Category", "Integration")]
public sealed class ServiceLbControllerTests
{
    private static async Task NodeAsync(Kubernetes client, string name, string ip, bool ready)
    {
        V1Node node = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } });
        node.Status = new V1NodeStatus
        {
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = ip }, new V1NodeAddress { Type = "Hostname", Address = name }],
            Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False", Reason = "Test" }],
        };
        await client.CoreV1.ReplaceNodeStatusAsync(node, name);
    }

    private static async Task<List<string>> IngressAsync(Kubernetes client, string name)
    {
        V1Service service = await Eventually(
            () => client.CoreV1.ReadNamespacedServiceAsync(name, "default"), s => s.Status?.LoadBalancer?.Ingress is { Count: > 0 }, $"{name} has an ingress",
            interval: TimeSpan.FromMilliseconds(100));
        return service.Status.LoadBalancer.Ingress.Select(x => x.Ip).ToList();
    }

    [Fact]
    public async Task LoadBalancer_services_get_the_ready_nodes_InternalIPs_unless_another_class_owns_them()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        Kubernetes client = api.Client;
        await NodeAsync(client, "n1", "192.0.2.11", ready: true);
        await NodeAsync(client, "n2", "192.0.2.12", ready: false);
        await NodeAsync(client, "n3", "192.0.2.13", ready: true);

        var informers = new SharedInformerFactory(client);
        await using var context = new ControllerContext(client, informers, TimeProvider.System, NullLoggerFactory.Instance, new ControllerManagerOptions());
        using var controller = new ServiceLbController(context);
        using var stop = new CancellationTokenSource();
        informers.Start(stop.Token);
        Task running = controller.RunAsync(1, stop.Token);

        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "lb" }, Spec = new V1ServiceSpec { Type = "LoadBalancer", Ports = [new V1ServicePort { Port = 80 }] } }, "default");
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "other" }, Spec = new V1ServiceSpec { Type = "LoadBalancer", LoadBalancerClass = "example.com/lb", Ports = [new V1ServicePort { Port = 80 }] } }, "default");
        Assert.Equal(["192.0.2.11", "192.0.2.13"], await IngressAsync(client, "lb"));

        // A node becoming Ready joins.
        V1Node n2 = await client.CoreV1.ReadNodeAsync("n2");
        n2.Status.Conditions[0].Status = "True";
        await client.CoreV1.ReplaceNodeStatusAsync(n2, "n2");
        V1Service lb = await Eventually(
            () => client.CoreV1.ReadNamespacedServiceAsync("lb", "default"), s => s.Status.LoadBalancer.Ingress.Count == 3, "n2 joins the ingress",
            interval: TimeSpan.FromMilliseconds(100));
        Assert.Equal(["192.0.2.11", "192.0.2.12", "192.0.2.13"], lb.Status.LoadBalancer.Ingress.Select(x => x.Ip));
        V1Service other = await client.CoreV1.ReadNamespacedServiceAsync("other", "default");
        Assert.Null(other.Status?.LoadBalancer?.Ingress);

        await stop.CancelAsync();
        await running;
        await informers.StoppedAsync();
    }
}
