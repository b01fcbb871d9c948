using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Client.Informers;
using Navarch.Controllers;
using Navarch.Controllers.ServiceLb;
using Navarch.Testing;

namespace Navarch.Proxy.Tests;

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
        for (int i = 0; i < 100; i++)
        {
            V1Service service = await client.CoreV1.ReadNamespacedServiceAsync(name, "default");
            if (service.Status?.LoadBalancer?.Ingress is { Count: > 0 } ingress)
            {
                return ingress.Select(x => x.Ip).ToList();
            }

            await Task.Delay(100);
        }

        return [];
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
        for (int i = 0; i < 100 && (await IngressAsync(client, "lb")).Count < 3; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(["192.0.2.11", "192.0.2.12", "192.0.2.13"], await IngressAsync(client, "lb"));
        V1Service other = await client.CoreV1.ReadNamespacedServiceAsync("other", "default");
        Assert.Null(other.Status?.LoadBalancer?.Ingress);

        await stop.CancelAsync();
        await running;
        await informers.StoppedAsync();
    }
}
