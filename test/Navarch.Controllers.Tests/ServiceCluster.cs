using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// A controller cluster with helpers for Services and their pods. No kubelet runs: the test plays it, binding pods to
/// a node name and writing their status (IP, phase, Ready condition).
/// </summary>
public abstract class ServiceCluster : ControllerCluster
{
    protected const string Ns = "default";

    protected static V1ContainerPort Port(string name, int number) => new() { Name = name, ContainerPort = number, Protocol = "TCP" };

    protected async Task<V1Pod> CreatePod(string name, Dictionary<string, string> labels, params V1ContainerPort[] ports) =>
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Containers = [new V1Container { Name = "c", Image = "busybox:1.35", Ports = ports.Length == 0 ? null : ports }],
            },
        }, Ns);

    /// <summary>Plays the kubelet: the pod runs with <paramref name="ip"/>, ready or not.</summary>
    protected async Task SetStatus(string name, string ip, bool ready, string phase = "Running")
    {
        V1Pod pod = await Client.CoreV1.ReadNamespacedPodAsync(name, Ns);
        pod.Status = new V1PodStatus
        {
            Phase = phase,
            PodIP = ip,
            PodIPs = [new V1PodIP { Ip = ip }],
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = DateTime.UtcNow }],
        };
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, Ns);
    }

    protected async Task<V1Pod> RunningPod(string name, Dictionary<string, string> labels, string ip, bool ready, params V1ContainerPort[] ports)
    {
        V1Pod pod = await CreatePod(name, labels, ports);
        await SetStatus(name, ip, ready);
        return pod;
    }

    protected async Task<V1Service> CreateService(string name, Dictionary<string, string>? selector, IntOrString? targetPort = null,
        bool headless = false, bool publishNotReady = false, Dictionary<string, string>? labels = null) =>
        await Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1ServiceSpec
            {
                Selector = selector,
                ClusterIP = headless ? "None" : null,
                PublishNotReadyAddresses = publishNotReady ? true : null,
                Ports = [new V1ServicePort { Name = "web", Port = 80, Protocol = "TCP", TargetPort = targetPort }],
            },
        }, Ns);

    protected static Dictionary<string, string> App(string app) => new() { ["app"] = app };

    /// <summary>The Endpoints named <paramref name="name"/>, or null when there are none.</summary>
    protected async Task<V1Endpoints?> ReadEndpoints(string name)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedEndpointsAsync(name, Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The EndpointSlices of a Service, by the service-name label.</summary>
    protected async Task<IList<V1EndpointSlice>> SlicesOf(string service) =>
        (await Client.DiscoveryV1.ListNamespacedEndpointSliceAsync(Ns, labelSelector: $"kubernetes.io/service-name={service}")).Items;

    protected static IEnumerable<V1Endpoint> AllEndpoints(IEnumerable<V1EndpointSlice> slices) => slices.SelectMany(s => s.Endpoints ?? []);
}
